"""RPC to the services with a deadline: nameko's service-side proxy would otherwise wait forever."""

import logging

import eventlet
from nameko.exceptions import RemoteError, UnknownService
from nameko.rpc import RpcProxy

from gateway.errors import Unavailable, UpstreamTimeout
from gateway.redact import REDACTING, redact
from kit.rpc import ReplyListener


class TimedServiceProxy:
    def __init__(self, proxy, service_name, timeout):
        self._proxy = proxy
        self._service_name = service_name
        self._timeout = timeout

    def __getattr__(self, method_name):
        method = getattr(self._proxy, method_name)

        def call(*args, timeout=None, **kwargs):
            seconds = timeout or self._timeout
            late = UpstreamTimeout(f"{self._service_name}.{method_name} did not answer within {seconds} s")
            try:
                with eventlet.Timeout(seconds, late):
                    return method(*args, **kwargs)
            except RemoteError as exc:
                # its message is logged and may be answered: no token in it, whatever the service said
                raise RemoteError(exc.exc_type, redact(exc.value)) from None
            except UnknownService:
                # the broker has no queue for it: the service has never run here (not yet deployed)
                raise Unavailable(f"{self._service_name} is not running: try again later.") from None

        return call


class TimedRpcProxy(RpcProxy):
    rpc_reply_listener = ReplyListener()

    def setup(self):
        super().setup()
        logging.getLogger("nameko.rpc").addFilter(REDACTING)  # it logs replies at DEBUG
        self.timeout = float(self.container.config.get("RPC_TIMEOUT", 10))

    def get_dependency(self, worker_ctx):
        return TimedServiceProxy(super().get_dependency(worker_ctx), self.target_service, self.timeout)
