// The function's Node entry: the payload arrives on stdin from handler.py.
process.stdout.write(`${JSON.stringify({ status: "skeleton" })}\n`);
