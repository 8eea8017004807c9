"""Drives the fedbook kernel with jupyter_client's KernelManager and
BlockingKernelClient: execute, complete, inspect, is_complete, history,
interrupt (state kept) and restart (state gone). Prints one line per check;
exits non-zero with the failing check's message."""
import sys
import time
from jupyter_client.manager import KernelManager

TIMEOUT = 60


def run(kc, code, **kw):
    """Executes code and returns (reply content, iopub messages up to idle)."""
    msg_id = kc.execute(code, **kw)
    outputs = []
    while True:
        msg = kc.get_iopub_msg(timeout=TIMEOUT)
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        outputs.append(msg)
        if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            break
    reply = kc.get_shell_msg(timeout=TIMEOUT)
    assert reply["parent_header"]["msg_id"] == msg_id, "execute_reply parent is not the request"
    return reply["content"], outputs


def shell_reply(kc, msg_id):
    while True:
        msg = kc.get_shell_msg(timeout=TIMEOUT)
        if msg["parent_header"].get("msg_id") == msg_id:
            return msg["content"]


def result_text(outputs):
    for msg in outputs:
        if msg["msg_type"] == "execute_result":
            return msg["content"]["data"]["text/plain"]
    return None


def check(name, condition, detail=""):
    if not condition:
        print(f"FAIL {name}: {detail}", flush=True)
        sys.exit(1)
    print(f"ok {name}", flush=True)


SETUP = """
const { train, test } = await fed.datasets.mnist({ trainLimit: 1200, testLimit: 300, subsetSeed: 1 });
const clients = fed.partition(train, { clients: 20, scheme: 'iid', seed: 7 });
const algo = fed.fedAvg({ model: fed.models.mlp({ hidden: [32] }), clientsPerRound: 4, batchSize: 10, clientLr: 0.1, seed: 1, workers: 2 });
let state = await algo.initialize();
({ state } = await algo.next(state, clients));
"""


def interrupt_round(kc, km):
    """Interrupts a running federated run after its first live round update; the session goes on."""
    content, _ = run(kc, SETUP)
    check("federated setup", content["status"] == "ok", content)
    msg_id = kc.execute("const longRun = await algo.run({ rounds: 500, clients, evaluate: test, state });")
    while True:
        msg = kc.get_iopub_msg(timeout=TIMEOUT)
        if msg["parent_header"].get("msg_id") == msg_id and msg["msg_type"] == "update_display_data":
            break
    started = time.monotonic()
    km.interrupt_kernel()
    reply = shell_reply(kc, msg_id)
    print(f"# interrupt → execute_reply of the running round: {(time.monotonic() - started) * 1000:.0f} ms", flush=True)
    check("interrupt stops a running round", reply["status"] == "error" and reply["ename"] == "KeyboardInterrupt", reply)
    content, outputs = run(kc, "({ state } = await algo.next(state, clients));\n`${typeof longRun} ${typeof state}`")
    check("interrupted run keeps state and trains again", result_text(outputs) == "'undefined object'", (content, result_text(outputs)))


def main():
    km = KernelManager(kernel_name="fedbook")
    km.start_kernel()
    kc = km.client()
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=TIMEOUT)
        info = kc.kernel_info(reply=True, timeout=TIMEOUT)["content"]
        check("kernel_info", info["language_info"]["name"] == "typescript" and info["protocol_version"] == "5.3", info)

        content, outputs = run(kc, "const total: number = 40 + 2;\nconsole.log('sum', total);\ntotal")
        types = [m["msg_type"] for m in outputs]
        check("execute", content["status"] == "ok" and result_text(outputs) == "42", (content, types))
        check("execute order", types[0] == "status" and types[1] == "execute_input" and types[-1] == "status", types)
        check("stream", any(m["msg_type"] == "stream" and m["content"]["text"] == "sum 42\n" for m in outputs), types)

        reply = kc.complete("Math.fl", 7, reply=True, timeout=TIMEOUT)["content"]
        check("complete", reply["status"] == "ok" and any(m.endswith("floor") for m in reply["matches"]), reply)

        reply = kc.inspect("Math.floor", 10, reply=True, timeout=TIMEOUT)["content"]
        check("inspect", reply["status"] == "ok" and reply["found"] is True, reply)

        reply = shell_reply(kc, kc.is_complete("function f() {"))
        check("is_complete incomplete", reply["status"] == "incomplete", reply)
        reply = shell_reply(kc, kc.is_complete("const y = 1;"))
        check("is_complete complete", reply["status"] == "complete", reply)

        reply = kc.history(hist_access_type="tail", n=1, output=False, raw=True, reply=True, timeout=TIMEOUT)["content"]
        check("history", reply["status"] == "ok" and "total" in reply["history"][-1][2], reply)

        # Interrupt a synchronous infinite loop; every variable survives.
        msg_id = kc.execute("let spins = 0;\nwhile (true) { spins++; }")
        time.sleep(1.0)
        km.interrupt_kernel()
        reply = shell_reply(kc, msg_id)
        check("interrupt stops the loop", reply["status"] == "error", reply)
        content, outputs = run(kc, "[total, spins > 0]")
        check("interrupt keeps variables", result_text(outputs) is not None and "42" in result_text(outputs) and "true" in result_text(outputs), result_text(outputs))

        interrupt_round(kc, km)

        km.restart_kernel(now=False)
        kc.wait_for_ready(timeout=TIMEOUT)
        content, outputs = run(kc, "typeof total")
        check("restart gives a clean context", result_text(outputs) == "'undefined'" or result_text(outputs) == "undefined", result_text(outputs))
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=False)
    check("shutdown", not km.is_alive())


if __name__ == "__main__":
    main()
