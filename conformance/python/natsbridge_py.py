"""
NATSBridge - Python peer (desktop, asyncio).

This is the seed implementation guide's "Python Implementation" (shared/seeds/000),
made to run, and kept wire-compatible with natsbridge's docs/wire-format.md:

* envelope fields, order and defaults exactly as the seed builds them
  (msg_purpose "chat", sender_name "NATSBridge", metadata {}, timestamp
  ``datetime.utcnow().isoformat() + 'Z'``, serialized with plain ``json.dumps``);
* payload: ``encoding`` "base64" + ``metadata {"payload_bytes": size}`` for direct,
  ``encoding`` "none" + ``metadata {}`` for link;
* arrowtable: Arrow IPC *file* format out (``pa.ipc.new_file``); in, the file format
  or, when the ``ARROW1`` magic is absent, the stream format (Julia's Arrow.write);
* Plik one-shot upload over aiohttp, download with exponential backoff.

Fixes against the seed: ``raise Error`` (undefined) is ``NATSBridgeError`` with the
error codes of the seeds' error table; upload responses are status-checked; the
dataname is percent-encoded in the download URL; redirects are not followed on
download (Plik answers a failed download from a non-CLI client with a 301 to its
web UI); the declared ``size`` is checked against the decoded/downloaded bytes.

Quiet unless ``VERBOSE`` is true (``NATSBRIDGE_PY_VERBOSE=1``): the seed prints
correlation-id traces on every call.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import io
import json
import os
import sys
import uuid
from datetime import datetime, timezone
from typing import Any, Awaitable, Callable, Dict, List, Optional, Sequence, Tuple, Union
from urllib.parse import quote

try:
    import pyarrow as arrow
    import pyarrow.ipc  # noqa: F401  (makes arrow.ipc available)

    ARROW_AVAILABLE = True
except ImportError:  # pragma: no cover - the peer's requirements include pyarrow
    ARROW_AVAILABLE = False

try:
    import aiohttp
    import nats

    NATS_AVAILABLE = True
except ImportError:  # pragma: no cover
    NATS_AVAILABLE = False

DEFAULT_SIZE_THRESHOLD = 1_000_000
DEFAULT_BROKER_URL = "nats://localhost:4222"
DEFAULT_FILESERVER_URL = "http://localhost:8080"

PAYLOAD_TYPES = ("text", "dictionary", "jsontable", "arrowtable", "image", "audio", "video", "binary")
BYTES_TYPES = ("image", "audio", "video", "binary")
ARROW_FILE_MAGIC = b"ARROW1"

VERBOSE = os.environ.get("NATSBRIDGE_PY_VERBOSE", "") not in ("", "0", "false")


class NATSBridgeError(Exception):
    """The one error type of this module; ``code`` is one of the seeds' error codes."""

    def __init__(self, code: str, message: str, correlation_id: Optional[str] = None):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.correlation_id = correlation_id


def log_trace(correlation_id: str, message: str) -> None:
    """``[timestamp] [Correlation: id] message`` on stderr, only when VERBOSE."""
    if VERBOSE:
        ts = datetime.now(timezone.utc).isoformat()
        print(f"[{ts}] [Correlation: {correlation_id}] {message}", file=sys.stderr, flush=True)


def _utc_timestamp() -> str:
    # Same text as the seed's datetime.utcnow().isoformat() + 'Z' (µs precision; no
    # fraction at all when microsecond == 0), without utcnow's deprecation warning.
    return datetime.now(timezone.utc).replace(tzinfo=None).isoformat() + "Z"


def _json_default(obj: Any) -> Any:
    """numpy / pandas scalars (from DataFrame rows) as plain JSON values."""
    if hasattr(obj, "item") and callable(obj.item):
        return obj.item()
    if hasattr(obj, "isoformat"):
        return obj.isoformat()
    raise TypeError(f"Object of type {type(obj).__name__} is not JSON serializable")


# ---------------------------------------------------------------- serialization


def _serialize_data(data: Any, payload_type: str) -> bytes:
    """Serialize data to bytes based on type (seed ``_serialize_data``)."""
    if payload_type == "text":
        if isinstance(data, str):
            return data.encode("utf-8")
        raise NATSBridgeError("SERIALIZATION_ERROR", "Text data must be a string")

    if payload_type == "dictionary":
        try:
            return json.dumps(data, default=_json_default).encode("utf-8")
        except (TypeError, ValueError) as e:
            raise NATSBridgeError("SERIALIZATION_ERROR", f"dictionary is not JSON serializable: {e}") from e

    if payload_type == "arrowtable":
        if not ARROW_AVAILABLE:
            raise NATSBridgeError("SERIALIZATION_ERROR", "pyarrow not available for table serialization")
        table = _to_arrow_table(data)
        buf = io.BytesIO()
        sink = arrow.ipc.new_file(buf, table.schema)
        sink.write_table(table)
        sink.close()
        return buf.getvalue()

    if payload_type == "jsontable":
        # Row-oriented JSON: list[dict] / list[list] as given, a DataFrame as records.
        rows = data
        try:
            import pandas as pd

            if isinstance(data, pd.DataFrame):
                rows = data.astype(object).where(data.notna(), None).to_dict(orient="records")
        except ImportError:  # pragma: no cover
            pass
        if not isinstance(rows, list):
            raise NATSBridgeError("SERIALIZATION_ERROR", "jsontable data must be a list of rows or a DataFrame")
        try:
            return json.dumps(rows, default=_json_default).encode("utf-8")
        except (TypeError, ValueError) as e:
            raise NATSBridgeError("SERIALIZATION_ERROR", f"jsontable is not JSON serializable: {e}") from e

    if payload_type in BYTES_TYPES:
        if isinstance(data, (bytes, bytearray, memoryview)):
            return bytes(data)
        raise NATSBridgeError("SERIALIZATION_ERROR", f"{payload_type.capitalize()} data must be bytes")

    raise NATSBridgeError("INVALID_PAYLOAD_TYPE", f"Unknown payload_type: {payload_type}")


def _to_arrow_table(data: Any) -> "arrow.Table":
    if isinstance(data, arrow.Table):
        return data
    try:
        import pandas as pd

        if isinstance(data, pd.DataFrame):
            # Column-oriented DataFrame to Arrow (the seed's path); a RangeIndex is
            # kept as schema metadata only, never as an extra column.
            return arrow.Table.from_pandas(data, preserve_index=False)
    except ImportError:  # pragma: no cover
        pass
    if isinstance(data, list) and all(isinstance(r, dict) for r in data):
        return arrow.Table.from_pylist(data)
    raise NATSBridgeError("SERIALIZATION_ERROR", "arrowtable data must be a pandas DataFrame, a pyarrow Table or a list of row dicts")


def _read_arrow_table(data: bytes) -> "arrow.Table":
    buf = arrow.py_buffer(data)
    if data[:6] == ARROW_FILE_MAGIC:
        return arrow.ipc.open_file(buf).read_all()
    # No file magic: Arrow IPC stream format (Julia's Arrow.write(io, df)).
    return arrow.ipc.open_stream(buf).read_all()


def _deserialize_data(data: bytes, payload_type: str, correlation_id: str, arrowtable_as: str = "pandas") -> Any:
    """Deserialize bytes to data based on type (seed ``_deserialize_data``)."""
    try:
        if payload_type == "text":
            return data.decode("utf-8")
        if payload_type in ("dictionary", "jsontable"):
            value = json.loads(data.decode("utf-8"))
            if payload_type == "jsontable" and isinstance(value, dict):
                # A column-oriented object {col: [...]} -> rows, like the TS receiver.
                cols = list(value.keys())
                n = max((len(v) for v in value.values() if isinstance(v, list)), default=0)
                value = [{c: (value[c][i] if isinstance(value[c], list) and i < len(value[c]) else None) for c in cols} for i in range(n)]
            return value
        if payload_type == "arrowtable":
            if not ARROW_AVAILABLE:
                raise NATSBridgeError("DESERIALIZATION_ERROR", "pyarrow not available for table deserialization", correlation_id)
            table = _read_arrow_table(data)
            return table if arrowtable_as == "arrow" else table.to_pandas()
        if payload_type in BYTES_TYPES:
            return bytes(data)
    except NATSBridgeError:
        raise
    except Exception as e:  # UnicodeDecodeError, JSONDecodeError, ArrowInvalid, ...
        raise NATSBridgeError("DESERIALIZATION_ERROR", f"cannot decode {payload_type}: {type(e).__name__}: {e}", correlation_id) from e
    raise NATSBridgeError("INVALID_PAYLOAD_TYPE", f"Unknown payload_type: {payload_type}", correlation_id)


# ---------------------------------------------------------------- file server (Plik)


def _plik_file_url(file_server_url: str, uploadid: str, fileid: str, dataname: str) -> str:
    # Same escaping as JavaScript's encodeURIComponent.
    name = quote(dataname, safe="-_.!~*'()")
    return f"{file_server_url.rstrip('/')}/file/{uploadid}/{fileid}/{name}"


async def plik_upload(file_server_url: str, dataname: str, data: bytes, one_shot: bool = True, ttl: Optional[int] = None) -> Dict[str, Any]:
    """Upload ``data`` as one file of a new Plik upload; returns status/uploadid/fileid/url."""
    base = file_server_url.rstrip("/")
    params: Dict[str, Any] = {"OneShot": bool(one_shot)}
    if ttl is not None:
        params["TTL"] = int(ttl)
    async with aiohttp.ClientSession() as session:
        # Get upload id
        headers = {"Content-Type": "application/json"}
        async with session.post(f"{base}/upload", headers=headers, data=json.dumps(params)) as response:
            if response.status != 200:
                text = (await response.text())[:200]
                return {"status": response.status, "uploadid": None, "fileid": None, "url": "", "error": text}
            response_json = await response.json(content_type=None)
            uploadid = response_json["id"]
            uploadtoken = response_json["uploadToken"]

        # Upload file
        # quote_fields=False: aiohttp would otherwise percent-encode the filename
        # ("a b" -> "a%20b"), and Plik stores the name as sent, so the download
        # URL built from the dataname would no longer match it.
        form = aiohttp.FormData(quote_fields=False)
        form.add_field("file", bytes(data), filename=dataname, content_type="application/octet-stream")
        async with session.post(f"{base}/file/{uploadid}", headers={"X-UploadToken": uploadtoken}, data=form) as upload_response:
            if upload_response.status != 200:
                text = (await upload_response.text())[:200]
                return {"status": upload_response.status, "uploadid": uploadid, "fileid": None, "url": "", "error": text}
            upload_json = await upload_response.json(content_type=None)
            fileid = upload_json["id"]
            return {
                "status": upload_response.status,
                "uploadid": uploadid,
                "fileid": fileid,
                "url": _plik_file_url(base, uploadid, fileid, dataname),
            }


async def plik_oneshot_upload(file_server_url: str, dataname: str, data: bytes) -> Dict[str, Any]:
    """Upload data to plik server in one-shot mode (seed ``plik_oneshot_upload``)."""
    return await plik_upload(file_server_url, dataname, data, one_shot=True)


def make_plik_upload_handler(one_shot: bool = True, ttl: Optional[int] = None) -> Callable[[str, str, bytes], Awaitable[Dict[str, Any]]]:
    """An upload handler for smartsend; ``one_shot=False, ttl=N`` for multi-receiver subjects."""

    async def handler(file_server_url: str, dataname: str, data: bytes) -> Dict[str, Any]:
        return await plik_upload(file_server_url, dataname, data, one_shot=one_shot, ttl=ttl)

    return handler


async def fetch_with_backoff(url: str, max_retries: int, base_delay: int, max_delay: int, correlation_id: str) -> bytes:
    """Fetch URL with exponential backoff (delays in milliseconds)."""
    delay = base_delay
    last = "no attempt"
    for attempt in range(1, max(1, max_retries) + 1):
        try:
            async with aiohttp.ClientSession() as session:
                # No redirects: a 3xx is never the payload (Plik redirects failed
                # browser-like downloads to its web UI, which answers 200 HTML).
                async with session.get(url, allow_redirects=False) as response:
                    if response.status == 200:
                        body = await response.read()
                        log_trace(correlation_id, f"Successfully fetched data from {url} on attempt {attempt}")
                        return body
                    last = f"HTTP {response.status}"
                    raise NATSBridgeError("DOWNLOAD_FAILED", f"Failed to fetch: {response.status}", correlation_id)
        except Exception as e:
            if not isinstance(e, NATSBridgeError):
                last = f"{type(e).__name__}: {e}"
            log_trace(correlation_id, f"Attempt {attempt} failed: {last}")
            if attempt < max_retries:
                await asyncio.sleep(delay / 1000.0)
                delay = min(delay * 2, max_delay)
    raise NATSBridgeError("DOWNLOAD_FAILED", f"Failed to fetch {url} after {max_retries} attempts ({last})", correlation_id)


# ---------------------------------------------------------------- NATS


async def publish_message(broker_url_or_connection: Any, subject: str, message: str, correlation_id: str) -> None:
    """Publish to NATS, on a given connection or on a fresh one (seed ``publish_message``)."""
    if isinstance(broker_url_or_connection, str):
        try:
            nc = await nats.connect(broker_url_or_connection, connect_timeout=5, max_reconnect_attempts=0, allow_reconnect=False)
        except Exception as e:
            raise NATSBridgeError("NATS_CONNECTION_FAILED", f"{broker_url_or_connection}: {type(e).__name__}: {e}", correlation_id) from e
        try:
            await nc.publish(subject, message.encode("utf-8"))
            await nc.flush()
        finally:
            await nc.close()
    else:
        await broker_url_or_connection.publish(subject, message.encode("utf-8"))
        await broker_url_or_connection.flush()
    log_trace(correlation_id, f"Message published to {subject}")


# ---------------------------------------------------------------- smartsend / smartreceive


async def smartsend(
    subject: str,
    data: Sequence[Tuple[str, Any, str]],
    broker_url: str = DEFAULT_BROKER_URL,
    fileserver_url: str = DEFAULT_FILESERVER_URL,
    fileserver_upload_handler: Callable[[str, str, bytes], Awaitable[Dict[str, Any]]] = plik_oneshot_upload,
    size_threshold: int = DEFAULT_SIZE_THRESHOLD,
    correlation_id: Optional[str] = None,
    msg_purpose: str = "chat",
    sender_name: str = "NATSBridge",
    receiver_name: str = "",
    receiver_id: str = "",
    reply_to: str = "",
    reply_to_msg_id: str = "",
    is_publish: bool = True,
    nats_connection: Any = None,
    msg_id: Optional[str] = None,
    sender_id: Optional[str] = None,
    metadata: Optional[Dict[str, Any]] = None,
) -> Tuple[Dict[str, Any], str]:
    """Send data via NATS with automatic transport selection; returns (env, env_json_str)."""
    if correlation_id is None:
        correlation_id = str(uuid.uuid4())
    if msg_id is None:
        msg_id = str(uuid.uuid4())
    if sender_id is None:
        sender_id = str(uuid.uuid4())

    log_trace(correlation_id, f"Starting smartsend for subject: {subject}")

    payloads = []
    for item in data:
        if not isinstance(item, (tuple, list)) or len(item) != 3:
            raise NATSBridgeError("INVALID_PAYLOAD_TYPE", "each payload must be a (dataname, data, payload_type) tuple", correlation_id)
        dataname, payload_data, payload_type = item
        if payload_type not in PAYLOAD_TYPES:
            raise NATSBridgeError("INVALID_PAYLOAD_TYPE", f"Unknown payload_type: {payload_type}", correlation_id)
        payload_bytes = _serialize_data(payload_data, payload_type)
        payload_size = len(payload_bytes)
        log_trace(correlation_id, f"Serialized payload '{dataname}' (type: {payload_type}) size: {payload_size} bytes")

        if payload_size < size_threshold:
            payload_b64 = base64.b64encode(payload_bytes).decode("ascii")
            log_trace(correlation_id, f"Using direct transport for {payload_size} bytes")
            payloads.append(
                {
                    "id": str(uuid.uuid4()),
                    "dataname": dataname,
                    "payload_type": payload_type,
                    "transport": "direct",
                    "encoding": "base64",
                    "size": payload_size,
                    "data": payload_b64,
                    "metadata": {"payload_bytes": payload_size},
                }
            )
        else:
            log_trace(correlation_id, "Using link transport, uploading to fileserver")
            try:
                response = await fileserver_upload_handler(fileserver_url, dataname, payload_bytes)
            except NATSBridgeError:
                raise
            except Exception as e:
                raise NATSBridgeError("UPLOAD_FAILED", f"upload of '{dataname}' to {fileserver_url}: {type(e).__name__}: {e}", correlation_id) from e
            if response.get("status") != 200:
                raise NATSBridgeError("UPLOAD_FAILED", f"Failed to upload data to fileserver: {response.get('status')} {response.get('error', '')}".strip(), correlation_id)
            log_trace(correlation_id, f"Uploaded to URL: {response['url']}")
            payloads.append(
                {
                    "id": str(uuid.uuid4()),
                    "dataname": dataname,
                    "payload_type": payload_type,
                    "transport": "link",
                    "encoding": "none",
                    "size": payload_size,
                    "data": response["url"],
                    "metadata": {},
                }
            )

    env = {
        "correlation_id": correlation_id,
        "msg_id": msg_id,
        "timestamp": _utc_timestamp(),
        "send_to": subject,
        "msg_purpose": msg_purpose,
        "sender_name": sender_name,
        "sender_id": sender_id,
        "receiver_name": receiver_name,
        "receiver_id": receiver_id,
        "reply_to": reply_to,
        "reply_to_msg_id": reply_to_msg_id,
        "broker_url": broker_url,
        "metadata": dict(metadata) if metadata else {},
        "payloads": payloads,
    }
    env_json_str = json.dumps(env)

    if is_publish:
        await publish_message(nats_connection if nats_connection is not None else broker_url, subject, env_json_str, correlation_id)

    return env, env_json_str


def _strict_b64decode(text: str, correlation_id: str, dataname: str) -> bytes:
    s = "".join(text.split())  # MicroPython's b2a_base64 appends a newline
    s += "=" * (-len(s) % 4)
    try:
        return base64.b64decode(s, validate=True)
    except (binascii.Error, ValueError) as e:
        raise NATSBridgeError("DESERIALIZATION_ERROR", f"payload '{dataname}' is not valid base64: {e}", correlation_id) from e


def _require_str(obj: Dict[str, Any], key: str, default: Optional[str] = None) -> str:
    if key not in obj:
        if default is not None:
            return default
        raise NATSBridgeError("INVALID_ENVELOPE", f"missing field '{key}'")
    if not isinstance(obj[key], str):
        raise NATSBridgeError("INVALID_ENVELOPE", f"field '{key}' must be a string")
    return obj[key]


async def smartreceive(
    msg: Any,
    fileserver_download_handler: Callable[..., Awaitable[bytes]] = fetch_with_backoff,
    max_retries: int = 5,
    base_delay: int = 100,
    max_delay: int = 5000,
    arrowtable_as: str = "pandas",
) -> Dict[str, Any]:
    """Receive and process a NATS message (a nats Msg, bytes, str or dict).

    Returns the envelope dict with ``payloads`` as ``[(dataname, data, payload_type), ...]``.
    ``arrowtable_as="arrow"`` returns pyarrow Tables instead of the seed's DataFrames.
    """
    raw = getattr(msg, "data", msg)
    if isinstance(raw, dict):
        env = dict(raw)
    else:
        try:
            text = raw.decode("utf-8") if isinstance(raw, (bytes, bytearray, memoryview)) else raw
            if isinstance(text, memoryview):
                text = bytes(text).decode("utf-8")
            env = json.loads(text)
        except Exception as e:
            raise NATSBridgeError("INVALID_ENVELOPE", f"message is not a JSON envelope: {type(e).__name__}: {e}") from e
    if not isinstance(env, dict):
        raise NATSBridgeError("INVALID_ENVELOPE", "envelope must be a JSON object")

    correlation_id = _require_str(env, "correlation_id")
    for key in ("msg_id", "timestamp", "send_to"):
        _require_str(env, key)
    if not isinstance(env.get("payloads"), list):
        raise NATSBridgeError("INVALID_ENVELOPE", "field 'payloads' must be an array", correlation_id)
    log_trace(correlation_id, "Processing received message")

    payloads_list: List[Tuple[str, Any, str]] = []
    for payload in env["payloads"]:
        if not isinstance(payload, dict):
            raise NATSBridgeError("INVALID_ENVELOPE", "payload must be a JSON object", correlation_id)
        dataname = _require_str(payload, "dataname")
        data_type = payload.get("payload_type", payload.get("type"))
        if data_type == "table":  # the older README's name
            data_type = "arrowtable"
        if data_type not in PAYLOAD_TYPES:
            raise NATSBridgeError("INVALID_PAYLOAD_TYPE", f"payload '{dataname}' has unknown payload_type {data_type!r}", correlation_id)
        transport = payload.get("transport")
        size = payload.get("size")
        if size is not None and (not isinstance(size, int) or isinstance(size, bool) or size < 0):
            raise NATSBridgeError("INVALID_ENVELOPE", f"payload '{dataname}' has an invalid size", correlation_id)
        if not isinstance(payload.get("data"), str):
            raise NATSBridgeError("INVALID_ENVELOPE", f"payload '{dataname}' data must be a string", correlation_id)

        if transport == "direct":
            log_trace(correlation_id, f"Direct transport - decoding payload '{dataname}'")
            if payload.get("encoding", "base64") != "base64":
                raise NATSBridgeError("INVALID_ENVELOPE", f"direct payload '{dataname}' must be base64", correlation_id)
            payload_bytes = _strict_b64decode(payload["data"], correlation_id, dataname)
            if size is not None and size != len(payload_bytes):
                raise NATSBridgeError("DESERIALIZATION_ERROR", f"payload '{dataname}' decodes to {len(payload_bytes)} bytes, size says {size}", correlation_id)
        elif transport == "link":
            url = payload["data"]
            if payload.get("encoding", "none") != "none":
                raise NATSBridgeError("INVALID_ENVELOPE", f"link payload '{dataname}' must have encoding none", correlation_id)
            if not (url.startswith("http://") or url.startswith("https://")):
                raise NATSBridgeError("INVALID_ENVELOPE", f"link payload '{dataname}' is not an http(s) URL", correlation_id)
            log_trace(correlation_id, f"Link transport - fetching '{dataname}' from URL: {url}")
            try:
                payload_bytes = bytes(await fileserver_download_handler(url, max_retries, base_delay, max_delay, correlation_id))
            except NATSBridgeError:
                raise
            except Exception as e:
                raise NATSBridgeError("DOWNLOAD_FAILED", f"{url}: {type(e).__name__}: {e}", correlation_id) from e
            if size is not None and size != len(payload_bytes):
                raise NATSBridgeError("DOWNLOAD_FAILED", f"payload '{dataname}' downloaded {len(payload_bytes)} bytes, size says {size}", correlation_id)
        else:
            raise NATSBridgeError("INVALID_TRANSPORT", f"Unknown transport type for payload '{dataname}': {transport}", correlation_id)

        data = _deserialize_data(payload_bytes, data_type, correlation_id, arrowtable_as=arrowtable_as)
        payloads_list.append((dataname, data, data_type))

    env["payloads"] = payloads_list
    return env


class NATSBridge:
    """Class-style facade from the seed: ``await NATSBridge.smartsend(...)``."""

    smartsend = staticmethod(smartsend)
    smartreceive = staticmethod(smartreceive)
    plik_oneshot_upload = staticmethod(plik_oneshot_upload)
    fetch_with_backoff = staticmethod(fetch_with_backoff)
