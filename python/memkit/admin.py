"""AdminClient: calls memkit's gRPC admin API (memkit.admin.v1) from Python.

Uses grpc's generic unary/stream calls with the messages of admin_pb2, so no
generated service code is needed (Debian ships no grpc Python plugin).
"""

import grpc

from memkit._proto import pb


class AdminError(Exception):
    """An admin call failed: `code` is the grpc.StatusCode, `details` why."""

    def __init__(self, method, code, details):
        super().__init__("%s: %s: %s" % (method, code.name, details))
        self.method = method
        self.code = code
        self.details = details


# service -> method -> (request type, response type, server streaming)
_METHODS = {
    "Stats": {
        "GetStats": (pb.GetStatsRequest, pb.GetStatsResponse, False),
        "WatchStats": (pb.WatchStatsRequest, pb.StatsSnapshot, True),
    },
    "Pools": {
        "ListPools": (pb.ListPoolsRequest, pb.ListPoolsResponse, False),
        "GetPool": (pb.GetPoolRequest, pb.GetPoolResponse, False),
        "AddServer": (pb.AddServerRequest, pb.AddServerResponse, False),
        "RemoveServer": (pb.RemoveServerRequest, pb.RemoveServerResponse, False),
        "SetServerWeight": (pb.SetServerWeightRequest, pb.SetServerWeightResponse, False),
        "EjectServer": (pb.EjectServerRequest, pb.EjectServerResponse, False),
        "RestoreServer": (pb.RestoreServerRequest, pb.RestoreServerResponse, False),
        "DrainServer": (pb.DrainServerRequest, pb.DrainServerResponse, False),
    },
    "Config": {
        "GetConfig": (pb.GetConfigRequest, pb.GetConfigResponse, False),
        "ValidateConfig": (pb.ValidateConfigRequest, pb.ValidateConfigResponse, False),
        "ReloadConfig": (pb.ReloadConfigRequest, pb.ReloadConfigResponse, False),
    },
    "Cache": {
        "FlushAll": (pb.FlushAllRequest, pb.FlushAllResponse, False),
        "ListConnections": (pb.ListConnectionsRequest, pb.ListConnectionsResponse, False),
        "CloseConnections": (pb.CloseConnectionsRequest, pb.CloseConnectionsResponse, False),
        "Watch": (pb.WatchRequest, pb.WatchEvent, True),
    },
    "Testing": {
        "AdvanceClock": (pb.AdvanceClockRequest, pb.AdvanceClockResponse, False),
        "SetClock": (pb.SetClockRequest, pb.SetClockResponse, False),
        "SetFault": (pb.SetFaultRequest, pb.SetFaultResponse, False),
        "ClearFaults": (pb.ClearFaultsRequest, pb.ClearFaultsResponse, False),
        "CloseAllConnections": (pb.CloseAllConnectionsRequest,
                                pb.CloseAllConnectionsResponse, False),
    },
}


class AdminClient:
    """A connection to one admin endpoint ("host:port").

    `token` is sent as `authorization: Bearer <token>`; `root_certificates`
    (PEM bytes) switches to TLS. `timeout` is the per-call deadline in seconds
    for unary calls. Use as a context manager, or call close().
    """

    def __init__(self, address, token=None, root_certificates=None, timeout=10.0):
        self.address = address
        self.timeout = timeout
        if root_certificates is not None:
            creds = grpc.ssl_channel_credentials(root_certificates=root_certificates)
            self._channel = grpc.secure_channel(address, creds)
        else:
            self._channel = grpc.insecure_channel(address)
        self._metadata = (("authorization", "Bearer " + token),) if token else None
        self._calls = {}
        for service, methods in _METHODS.items():
            for name, (req, resp, streaming) in methods.items():
                path = "/memkit.admin.v1.%s/%s" % (service, name)
                make = self._channel.unary_stream if streaming else self._channel.unary_unary
                self._calls[name] = (make(path, request_serializer=req.SerializeToString,
                                          response_deserializer=resp.FromString), req, streaming)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        self._channel.close()

    def wait_ready(self, timeout=10.0):
        """Blocks until the channel connects (grpc.FutureTimeoutError if not)."""
        grpc.channel_ready_future(self._channel).result(timeout=timeout)

    def call(self, method, request=None, **fields):
        """Calls `method` (e.g. "GetStats") with `request` or a request built
        from `fields`; returns the response message (an iterator of them for
        streaming methods). Raises AdminError on failure."""
        stub, req_type, streaming = self._calls[method]
        if request is None:
            request = req_type(**fields)
        try:
            if streaming:
                return self._stream(method, stub(request, metadata=self._metadata))
            return stub(request, timeout=self.timeout, metadata=self._metadata)
        except grpc.RpcError as e:
            raise AdminError(method, e.code(), e.details()) from None

    @staticmethod
    def _stream(method, responses):
        try:
            for r in responses:
                yield r
        except grpc.RpcError as e:
            raise AdminError(method, e.code(), e.details()) from None

    # ---- conveniences over call()

    def get_stats(self, include_memcached_stats=False):
        """The StatsSnapshot now."""
        return self.call("GetStats", include_memcached_stats=include_memcached_stats).snapshot

    def counters(self, scope_kind=None):
        """{name: value} of every counter (of scopes of `scope_kind`, e.g.
        pb.SCOPE_KIND_SERVER, if given)."""
        out = {}
        for scope in self.get_stats().scopes:
            if scope_kind is not None and scope.kind != scope_kind:
                continue
            for c in scope.counters:
                out[c.name] = c.value
        return out

    def advance_clock(self, seconds):
        """Moves the server's clock by `seconds` (float; negative goes back)."""
        return self.call("AdvanceClock", delta_ms=int(round(seconds * 1000))).now_unix_nanos

    def set_clock(self, unix_seconds=None, frozen=None):
        mode = pb.CLOCK_MODE_UNSPECIFIED
        if frozen is True:
            mode = pb.CLOCK_MODE_FROZEN
        elif frozen is False:
            mode = pb.CLOCK_MODE_RUNNING
        nanos = 0 if unix_seconds is None else int(unix_seconds * 1e9)
        return self.call("SetClock", time_unix_nanos=nanos, mode=mode).now_unix_nanos

    def start_outage(self, kind="refuse"):
        kinds = {"refuse": pb.OUTAGE_KIND_REFUSE, "reset": pb.OUTAGE_KIND_RESET}
        if kind not in kinds:
            raise ValueError("outage kind must be 'refuse' or 'reset'")
        return self.call("SetFault", outage=pb.OutageFault(kind=kinds[kind])).state

    def set_latency(self, seconds):
        return self.call("SetFault",
                         latency=pb.LatencyFault(latency_us=int(seconds * 1e6))).state

    def fail_next(self, count, message=""):
        return self.call("SetFault", fail_commands=pb.FailCommandsFault(
            count=count, message=message)).state

    def drop_replies(self, count):
        return self.call("SetFault", drop_replies=pb.DropRepliesFault(count=count)).state

    def clear_faults(self):
        return self.call("ClearFaults").state

    def close_all_connections(self, reset=False):
        return self.call("CloseAllConnections", reset=reset).closed

    def flush_all(self, delay_seconds=0):
        return self.call("FlushAll", delay_seconds=delay_seconds)

    def settings(self):
        """{name: value} of GetConfig's settings."""
        return {s.name: s.value for s in self.call("GetConfig").settings}
