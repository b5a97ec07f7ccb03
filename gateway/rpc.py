"""RPC to the services with a deadline: nameko's service-side proxy would otherwise wait forever."""

import eventlet
from nameko.rpc import RpcProxy

from gateway.errors import UpstreamTimeout


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
            with eventlet.Timeout(seconds, late):
                return method(*args, **kwargs)

        return call


class TimedRpcProxy(RpcProxy):
    def setup(self):
        super().setup()
        self.timeout = float(self.container.config.get("RPC_TIMEOUT", 10))

    def get_dependency(self, worker_ctx):
        return TimedServiceProxy(super().get_dependency(worker_ctx), self.target_service, self.timeout)
