# PyTorch's DataLoader over the same shape of data held in memory as a TensorDataset:
# batch 1024, shuffled, num_workers = argv[2]. Prints one JSON line.
import json, sys, time
import torch
from torch.utils.data import DataLoader, TensorDataset

rows = int(sys.argv[1]); workers = int(sys.argv[2])
g = torch.Generator().manual_seed(0)
x = torch.randn(rows, 15, generator=g)
y = (torch.rand(rows, generator=g) > 0.5).float()
ds = TensorDataset(x, y)
best = None
for rep in range(2):
    dl = DataLoader(ds, batch_size=1024, shuffle=True, num_workers=workers, generator=torch.Generator().manual_seed(rep))
    t0 = time.perf_counter(); n = 0
    for xb, yb in dl:
        n += xb.shape[0]
    t = time.perf_counter() - t0
    best = t if best is None else min(best, t)
print(json.dumps({"rows": n, "seconds": best, "rowsPerSec": n / best, "torch": torch.__version__, "threads": torch.get_num_threads()}))
