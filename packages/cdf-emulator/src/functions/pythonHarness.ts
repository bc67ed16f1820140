// The Python side of the function runtime, written to a temp file and run with python3.
// It does what CDF's Python worker does for a deployed zip: import the module at functionPath,
// look up `handle`, pass only the arguments its signature names (any subset of data, client,
// secrets, function_call_info), and turn the return value into the call's response.
//
// The `client` is the real cognite-sdk CogniteClient when that package is importable; otherwise
// a stand-in with the attributes our handler shim reads from the real one: `client.config.project`,
// `client.config.base_url` and `client.config.credentials.authorization_header()`, which returns
// ("Authorization", "Bearer <token>") like cognite.client.credentials.Token does.
//
// Protocol: argv = [mode ("check" | "call"), code dir, functionPath, result file]; for "call" the
// call's input arrives as JSON on stdin. The outcome is written as JSON to the result file so
// that stdout and stderr carry only the handler's own output (they become the call's logs).

// biome-ignore lint/complexity/noUselessStringRaw: keeps Python escapes (\n) literal if the harness gains any
export const PYTHON_HARNESS = String.raw`
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

        return CogniteClient(
            ClientConfig(client_name="cdf-emulator-function", project=project, base_url=base_url, credentials=Token(token))
        )
    except ImportError:
        return _StandInCogniteClient(_ClientConfig(project, base_url, _Token(token)))


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


def main():
    mode, code_dir, function_path, result_path = sys.argv[1:5]
    os.chdir(code_dir)
    try:
        handle = load_handle(code_dir, function_path)
    except BaseException as e:
        write_result(result_path, failure(type(e).__name__ + ": " + str(e)))
        return
    if mode == "check":
        write_result(result_path, {"ok": True})
        return
    call = json.loads(sys.stdin.read())
    available = {
        "data": call["data"],
        "client": None,
        "secrets": call["secrets"],
        "function_call_info": call["functionCallInfo"],
    }
    params = inspect.signature(handle).parameters
    kwargs = {}
    for name in params:
        if name in available:
            if name == "client":
                available["client"] = make_client(call["project"], call["baseUrl"], call["token"])
            kwargs[name] = available[name]
    try:
        response = handle(**kwargs)
    except BaseException as e:
        write_result(result_path, failure(type(e).__name__ + ": " + str(e)))
        return
    try:
        text = json.dumps(response, allow_nan=False)
    except (TypeError, ValueError) as e:
        write_result(
            result_path,
            {"ok": False, "message": "The function's return value is not JSON serializable: " + str(e), "trace": None},
        )
        return
    sys.stdout.flush()
    sys.stderr.flush()
    with open(result_path, "w", encoding="utf-8") as f:
        f.write('{"ok": true, "response": ' + text + "}")


main()
`;
