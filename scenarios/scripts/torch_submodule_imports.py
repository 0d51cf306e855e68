# Every common way a script reaches torch's submodules, used together: torch.nn, torch.nn.functional as F,
# torch.optim, torch.utils.data's DataLoader, torch.autograd.forward_ad and torch.func's vmap. On the engine
# each must be the engine's own module (one copy), or a Parameter would subclass a second Tensor class.
# conformance: tags = ["nn", "optim", "training", "seeds"]
import torch
import torch.nn
import torch.nn.functional as F
import torch.optim
import torch.autograd.forward_ad as fwAD
from torch.utils.data import DataLoader, TensorDataset
from torch.func import vmap

torch.manual_seed(0)
model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 1))
print(type(model[0].weight).__name__, isinstance(model[0].weight, torch.Tensor), torch.nn.Parameter.__name__)
opt = torch.optim.Adam(model.parameters(), lr=0.01)
data = TensorDataset(torch.randn(12, 3), torch.randn(12, 1))
for epoch in range(2):
    for xb, yb in DataLoader(data, batch_size=4, shuffle=True):
        opt.zero_grad()
        loss = F.smooth_l1_loss(model(xb), yb)
        loss.backward()
        opt.step()
    print("epoch", epoch, loss.item())

x, v = torch.randn(3), torch.randn(3)
with fwAD.dual_level():
    y = torch.sin(fwAD.make_dual(x, v)) * 2
    primal, tangent = fwAD.unpack_dual(y)
print("jvp", tangent)
print("vmap", vmap(lambda row: F.softmax(row, dim=0))(torch.randn(2, 3)))
