"""Cairn's JSON-RPC protocol: pygls' LanguageServerProtocol, except that every request gets an answer.

pygls 2.1 turns each incoming message into its lsprotocol type inside `json.loads(object_hook=
structure_message)`. When a request's params do not fit that type (a `workspace/executeCommand` sent as
`params: [{command, arguments}, null]`, as vscode-languageclient does when it is handed an explicit
`undefined` cancellation token), `structure_message` raises `JsonRpcInvalidParams` out of `json.loads`;
the read loop (`pygls.io_.run_async`) catches it and only reports it as `window/showMessage "Error in
server: Invalid Params"`. The request id is lost with the message, so the client waits forever.

JSON-RPC 2.0 requires an error response to every request. This subclass, passed to the server as
`protocol_cls`, changes exactly that path:

- `structure_message`: when a *request* (an object with `jsonrpc`, `id` and `method`) cannot be
  structured, it returns an `UnreadableRequest` marker instead of raising; everything else (responses,
  notifications, nested objects) behaves as in pygls.
- `handle_message`: answers the marker with an InvalidParams (-32602) error carrying the request's id
  (`null` when the id itself is unusable, as JSON-RPC says), and a one-line log.
- `_handle_request`: our custom requests (`cairn/*`, which lsprotocol does not type, so pygls passes
  any params through) take an object; other params (an array, a string) get the same InvalidParams error
  instead of reaching the handler.
- Requests that take no arguments (`no_arguments`, set by the server: `cairn/status`, `cairn/stale`)
  accept every way of saying "nothing": `{}`, `[]` (what Lua's `{}` encodes to), `null` and no `params`
  member at all (JSON-RPC allows omitting it; pygls' generic request type requires it, so a request
  without `params` is read as `params: null`).

- a request whose `method` is not a string (`"method": 123`) is answered with InvalidRequest (-32600)
  carrying its id; pygls would fail on it and answer nothing.

Notifications with unreadable params keep pygls' behaviour (there is nobody to answer).
"""

from __future__ import annotations

import logging
from typing import Any

from cattrs import transform_error
from cattrs.errors import ClassValidationError
from lsprotocol import types
from pygls.exceptions import JsonRpcException, JsonRpcInvalidParams
from pygls.protocol import LanguageServerProtocol

log = logging.getLogger("cairn.server")

INVALID_PARAMS = JsonRpcInvalidParams.CODE  # -32602
REQUEST_FAILED = -32803  # LSP ErrorCodes.RequestFailed


class CommandError(JsonRpcException):
    """A command or custom request that failed; the message is the engine's one-line error."""

    CODE = REQUEST_FAILED
INVALID_REQUEST = -32600


class UnreadableRequest:
    """A request whose params could not be turned into its type: answered with InvalidParams."""

    __slots__ = ("code", "id", "message", "method")

    def __init__(self, msg_id: int | str | None, method: str, message: str, code: int = INVALID_PARAMS) -> None:
        self.id = msg_id
        self.method = method
        self.message = message
        self.code = code


def _request_id(value: Any) -> int | str | None:
    """The id to answer with: JSON-RPC ids are strings or integers; anything else answers `null`."""
    return value if isinstance(value, int | str) and not isinstance(value, bool) else None


def _is_object(params: Any) -> bool:
    """An object as pygls hands custom params over (a namedtuple, or a dict)."""
    return isinstance(params, dict) or hasattr(params, "_asdict")


def _is_empty_object(params: Any) -> bool:
    if isinstance(params, dict):
        return not params
    return hasattr(params, "_asdict") and not params._asdict()


def _kind(params: Any) -> str:
    if isinstance(params, list | tuple):
        return "an array"
    return {str: "a string", bool: "a boolean", int: "a number", float: "a number"}.get(type(params), "not an object")


def _why(data: dict[str, Any], cause: BaseException | None) -> str:
    """One line saying what is wrong with the params."""
    params = data.get("params")
    if params is not None and not isinstance(params, dict):
        return f"params must be an object, not {_kind(params)}"
    if isinstance(cause, ClassValidationError):
        try:
            return "; ".join(transform_error(cause))
        except Exception:  # pragma: no cover - cattrs' summary itself failed
            pass
    return f"{type(cause).__name__}: {cause}".splitlines()[0] if cause is not None else "cannot read the params"


class CairnProtocol(LanguageServerProtocol):
    """pygls' LSP protocol, answering requests with unreadable params instead of dropping them."""

    no_arguments: frozenset[str] = frozenset()  # methods whose handler takes no arguments

    def structure_message(self, data: dict[str, Any]) -> Any:
        if (isinstance(data, dict) and "jsonrpc" in data and "id" in data and "method" in data
                and not isinstance(data["method"], str) and "error" not in data and "result" not in data):
            kind = _kind(data["method"]) if data["method"] is not None else "null"
            return UnreadableRequest(_request_id(data.get("id")), repr(data["method"])[:40],
                                     f"invalid request: method must be a string, not {kind}", INVALID_REQUEST)
        if (isinstance(data, dict) and "id" in data and isinstance(data.get("method"), str)
                and "params" not in data and "error" not in data and "result" not in data):
            data = {**data, "params": None}  # JSON-RPC: "params" may be omitted
        try:
            return super().structure_message(data)
        except JsonRpcException as exc:
            if not (isinstance(data, dict) and "id" in data and isinstance(data.get("method"), str)
                    and "error" not in data and "result" not in data):
                raise
            return UnreadableRequest(_request_id(data.get("id")), data["method"],
                                     f"invalid params for {data['method']}: {_why(data, exc.__cause__)}")

    def handle_message(self, message: Any) -> None:
        if isinstance(message, UnreadableRequest):
            if self._shutdown:  # as pygls: nothing but `exit` is handled after shutdown
                log.warning("%s after shutdown: ignored", message.method)
                return
            self._answer_invalid(message.id, message.message, message.code)
            return
        super().handle_message(message)

    def _handle_request(self, msg_id: Any, method_name: str, params: Any) -> None:
        custom = self.get_message_type(method_name) is None and method_name in self.fm.features
        if method_name in self.no_arguments and (params == [] or params == () or _is_empty_object(params)):
            params = None
        if custom and params is not None and not _is_object(params):
            self._answer_invalid(msg_id, f"invalid params for {method_name}: params must be an object, "
                                         f"not {_kind(params)}")
            return
        super()._handle_request(msg_id, method_name, params)

    def _answer_invalid(self, msg_id: int | str | None, message: str, code: int = INVALID_PARAMS) -> None:
        log.warning("request %s: %s", msg_id, message)
        error = types.ResponseError(code=code, message=message)
        self._send_data(types.ResponseErrorMessage(id=msg_id, error=error))
