# Printing tensors themselves: reprs of random data, a layer's parameters, gradients and
# autograd results (values, requires_grad, grad_fn), which the comparison parses number by number.
# conformance: tags = ["seeds", "printing", "nn"]
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import optim

torch.manual_seed(0)

print(torch.randn(3, 4))
print(torch.rand(2, 3, dtype=torch.float64))
print(torch.randint(0, 10, (2, 5)))

model = nn.Linear(4, 2)
print(model)
print(model.weight)
print(model.bias)

x = torch.randn(5, 4, requires_grad=True)
target = torch.randn(5, 2)
loss = F.mse_loss(model(x), target)
print(loss)
loss.backward()
print(x.grad)
print(model.weight.grad)

optimizer = optim.SGD(model.parameters(), lr=0.1)
optimizer.step()
print(model.weight)

with torch.no_grad():
    print(model(x[:2]))
print(torch.softmax(model(x), dim=1))
print(torch.tensor([1e-8, 1.0, 1e8]))
print(torch.tensor([float("nan"), float("inf"), -float("inf"), 0.5]))
print(torch.zeros(2, 2, dtype=torch.int64), torch.ones(3).sum().item(), x.shape)
