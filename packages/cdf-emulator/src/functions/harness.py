# The Python side of the emulator's function runtime (functionRuntime.ts runs it with python3).
#
# It does what CDF's Python worker does for a deployed zip: import the module at functionPath,
# look up `handle`, pass only the arguments its signature names (any subset of data, client,
# secrets, function_call_info), and turn the return value into the call's response.
#
# The `client` is the real cognite-sdk CogniteClient when that package is importable; otherwise a
# stand-in with the attributes our handler shim reads from the real one: `client.config.project`,
# `client.config.base_url` and `client.config.credentials.authorization_header()`, which returns
# ("Authorization", "Bearer <token>") like cognite.client.credentials.Token does.
#
# Protocol: argv = [mode ("check" | "call"), code dir, functionPath, result file]; for "call" the
# call's input arrives as JSON on stdin. The outcome is written as JSON to the result file, so that
# stdout and stderr carry only the handler's own output (they become the call's logs):
#   {"ok": true, "response": ...} or {"ok": false, "message": "...", "trace": "..." | null}
#
# Only the standard library: the harness runs under whatever python3 the emulator finds.

import importlib.util
import inspect
import json
import os
import sys
import traceback


def write_result(path, result):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(result, f)


def failure(message):
    return {"ok": False, "message": message, "trace": traceback.format_exc()}


def exception_failure(e):
    return failure(type(e).__name__ + ": " + str(e))


class _Token:
    def __init__(self, token):
        self._token = token

    def authorization_header(self):
        return ("Authorization", "Bearer " + self._token)


class _ClientConfig:
    def __init__(self, project, base_url, credentials):
        self.project = project
        self.base_url = base_url
        self.credentials = credentials
        self.client_name = "cdf-emulator-function"


class _StandInCogniteClient:
    def __init__(self, config):
        self.config = config

    def __getattr__(self, name):
        raise AttributeError(
            "The emulator's stand-in CogniteClient has no '" + name + "' (cognite-sdk is not installed "
            "where the emulator runs). Use client.config.project, client.config.base_url and "
            "client.config.credentials.authorization_header() to call the API over HTTP."
        )


def make_client(project, base_url, token):
    try:
        from cognite.client import ClientConfig, CogniteClient
        from cognite.client.credentials import Token
    except ImportError:
        return _StandInCogniteClient(_ClientConfig(project, base_url, _Token(token)))
    return CogniteClient(
        ClientConfig(client_name="cdf-emulator-function", project=project, base_url=base_url, credentials=Token(token))
    )


def load_handle(code_dir, function_path):
    module_path = os.path.join(code_dir, function_path)
    if not os.path.isfile(module_path):
        raise FileNotFoundError(
            "No handler file at functionPath '" + function_path + "' in the function's zip"
        )
    sys.path.insert(0, os.path.dirname(module_path))
    sys.path.insert(0, code_dir)
    module_name = os.path.splitext(function_path.replace("/", "."))[0]
    spec = importlib.util.spec_from_file_location(module_name, module_path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    handle = getattr(module, "handle", None)
    if not callable(handle):
        raise AttributeError("The handler file '" + function_path + "' has no function named 'handle'")
    return handle


def handle_arguments(handle, call):
    """The arguments `handle` names, as CDF passes them; the client is made only when asked for."""
    available = {
        "data": call["data"],
        "secrets": call["secrets"],
        "function_call_info": call["functionCallInfo"],
    }
    kwargs = {}
    for name in inspect.signature(handle).parameters:
        if name == "client":
            kwargs[name] = make_client(call["project"], call["baseUrl"], call["token"])
        elif name in available:
            kwargs[name] = available[name]
    return kwargs


def main():
    if len(sys.argv) != 5 or sys.argv[1] not in ("check", "call"):
        sys.stderr.write("usage: harness.py check|call <code dir> <functionPath> <result file>\n")
        sys.exit(2)
    mode, code_dir, function_path, result_path = sys.argv[1:5]
    os.chdir(code_dir)
    try:
        handle = load_handle(code_dir, function_path)
    except BaseException as e:
        write_result(result_path, exception_failure(e))
        return
    if mode == "check":
        write_result(result_path, {"ok": True})
        return
    try:
        kwargs = handle_arguments(handle, json.loads(sys.stdin.read()))
    except BaseException as e:
        write_result(result_path, failure("The call could not be prepared: " + type(e).__name__ + ": " + str(e)))
        return
    try:
        response = handle(**kwargs)
    except BaseException as e:
        write_result(result_path, exception_failure(e))
        return
    try:
        text = json.dumps(response, allow_nan=False)
    except (TypeError, ValueError, RecursionError) as e:
        write_result(
            result_path,
            {"ok": False, "message": "The function's return value is not JSON serializable: " + str(e), "trace": None},
        )
        return
    sys.stdout.flush()
    sys.stderr.flush()
    with open(result_path, "w", encoding="utf-8") as f:
        f.write('{"ok": true, "response": ' + text + "}")


if __name__ == "__main__":
    main()
