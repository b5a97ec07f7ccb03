"""RPC to the services with a deadline: nameko's service-side proxy would otherwise wait forever. The
public pages read through ``kept`` (``gateway.reads``); every other call forgets what it may have made
stale there."""

import logging

import eventlet
from nameko.exceptions import RemoteError, UnknownService
from nameko.rpc import RpcProxy

from gateway.errors import Unavailable, UpstreamTimeout
from gateway.reads import PublicReads
from gateway.redact import REDACTING, redact
from kit.rpc import ReplyListener


class TimedServiceProxy:
    def __init__(self, proxy, service_name, timeout, reads):
        self._proxy = proxy
        self._service_name = service_name
        self._timeout = timeout
        self._reads = reads

    @property
    def kept(self):
        """The same calls, answered from what the public pages keep (``gateway.reads``)."""
        return KeptServiceProxy(self)

    def __getattr__(self, method_name):
        return self._method(method_name, changes=True)

    def _method(self, method_name, changes):
        method = getattr(self._proxy, method_name)

        def call(*args, timeout=None, **kwargs):
            seconds = timeout or self._timeout
            late = UpstreamTimeout(f"{self._service_name}.{method_name} did not answer within {seconds} s")
            answer = None
            try:
                with eventlet.Timeout(seconds, late):
                    answer = method(*args, **kwargs)
                    return answer
            except RemoteError as exc:
                # its message is logged and may be answered: no token in it, whatever the service said
                raise RemoteError(exc.exc_type, redact(exc.value)) from None
            except UnknownService:
                # the broker has no queue for it: the service has never run here (not yet deployed)
                raise Unavailable(f"{self._service_name} is not running: try again later.") from None
            finally:
                if changes:
                    self._reads.changing(self._service_name, method_name, args, answer)

        return call


def outcome(ask):
    """``(ask(), None)``, or ``(None, the exception)``: a green thread's failure is its caller's to raise."""
    try:
        return ask(), None
    except Exception as exc:  # noqa: BLE001 - handed back to the caller as it is
        return None, exc


def together(*asks, **named):
    """Each ``ask()`` at once, each in a green thread; once all have answered, their outcomes (see
    ``outcome``): in order for ``asks``, by name for ``named``. No failure is raised here: the caller
    decides which ones matter."""
    if asks and named:
        raise TypeError("together() takes calls in order or by name, not both")
    threads = {name: eventlet.spawn(outcome, ask) for name, ask in (named or dict(enumerate(asks))).items()}
    answers = {name: thread.wait() for name, thread in threads.items()}
    return answers if named else list(answers.values())


class KeptServiceProxy:
    def __init__(self, proxy):
        self._proxy = proxy

    def __getattr__(self, method_name):
        proxy = self._proxy
        call = proxy._method(method_name, changes=False)

        def kept(*args, timeout=None, **kwargs):
            asked = args + tuple(sorted(kwargs.items()))
            return proxy._reads.read(
                proxy._service_name, method_name, asked, lambda: call(*args, timeout=timeout, **kwargs)
            )

        return kept


class TimedRpcProxy(RpcProxy):
    rpc_reply_listener = ReplyListener()
    public_reads = PublicReads()

    def setup(self):
        super().setup()
        logging.getLogger("nameko.rpc").addFilter(REDACTING)  # it logs replies at DEBUG
        self.timeout = float(self.container.config.get("RPC_TIMEOUT", 10))

    def get_dependency(self, worker_ctx):
        proxy = super().get_dependency(worker_ctx)
        return TimedServiceProxy(proxy, self.target_service, self.timeout, self.public_reads)
