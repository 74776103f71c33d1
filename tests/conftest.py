"""Every test process computes on one torch thread, as the app's own processes do (app/process.py).
`make test` runs three workers on the machine's two cores beside the servers and Chromium the tests start;
with a thread per core, torch's threads wait on each other for a busy core: beside two busy
processes, a test of the normalization findings took 2.5 s on two threads and 0.8 s on one."""

import pytest
import torch

torch.set_num_threads(1)


@pytest.fixture(autouse=True)
def one_torch_thread():
    yield
    torch.set_num_threads(1)  # after a test that asked for more (model/train.py's command line)
