"""PyTorch CPU reference loop for fedbook's throughput bench.

Run by bench/throughput.ts as a long-lived child:
    OPENBLAS_NUM_THREADS=1 /usr/bin/python3 bench/torch_reference.py
It prints one JSON line describing torch and its BLAS, then answers each JSON
request line {"model": "2nn"|"cnn", "batch": B, "threads": T, "examples": N,
"min_seconds": S} with {"samplesPerSec": ...}.

The loop mirrors fedbook's client step: gather a minibatch of 28x28 images by
index, forward, softmax cross-entropy, backward, plain SGD (lr 0.1), and read
the loss back as a Python float. Pixel values are random in [0, 1) and labels
random: the arithmetic per step does not depend on the values.
"""
import json
import os
import sys
import time

import torch
from torch import nn


def build(model):
    if model == "2nn":
        return nn.Sequential(
            nn.Flatten(), nn.Linear(784, 200), nn.ReLU(), nn.Linear(200, 200), nn.ReLU(), nn.Linear(200, 10))
    if model == "cnn":
        return nn.Sequential(
            nn.Conv2d(1, 32, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(7 * 7 * 64, 512), nn.ReLU(), nn.Linear(512, 10))
    raise ValueError(f"unknown model {model!r}")


def blas_in_use():
    """The BLAS library actually mapped into this process (after a matmul has run)."""
    torch.mm(torch.ones(64, 64), torch.ones(64, 64))
    found = set()
    with open("/proc/self/maps") as maps:
        for line in maps:
            path = line.split()[-1] if len(line.split()) >= 6 else ""
            name = os.path.basename(path)
            if "blas" in name or "mkl" in name or "lapack" in name:
                found.add(os.path.realpath(path))
    return sorted(found)


def measure(model_name, batch, threads, examples, min_seconds):
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model = build(model_name)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    loss_fn = nn.CrossEntropyLoss()
    pool = 600
    data = torch.rand(pool, 1, 28, 28)
    labels = torch.randint(0, 10, (pool,))

    def step(i):
        index = torch.randint(0, pool, (batch,))
        x, y = data[index], labels[index]
        optimizer.zero_grad(set_to_none=True)
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        return float(loss)

    for i in range(3):
        step(i)
    trained = 0
    started = time.perf_counter()
    while trained < examples or time.perf_counter() - started < min_seconds:
        step(trained)
        trained += batch
    elapsed = time.perf_counter() - started
    return {"samplesPerSec": trained / elapsed, "examples": trained, "seconds": elapsed}


def main():
    blas_target = ""
    try:
        blas_target = os.path.realpath("/etc/alternatives/libblas.so.3-x86_64-linux-gnu")
    except OSError:
        pass
    print(json.dumps({
        "torch": torch.__version__,
        "blasMapped": blas_in_use(),
        "blasAlternative": blas_target,
        "openblasThreads": os.environ.get("OPENBLAS_NUM_THREADS"),
        "config": torch.__config__.show(),
    }), flush=True)
    for line in sys.stdin:
        if not line.strip():
            continue
        request = json.loads(line)
        try:
            result = measure(request["model"], int(request["batch"]), int(request["threads"]),
                             int(request["examples"]), float(request.get("min_seconds", 1.0)))
        except Exception as error:  # reported to the bench, which prints it
            result = {"error": f"{type(error).__name__}: {error}"}
        print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
