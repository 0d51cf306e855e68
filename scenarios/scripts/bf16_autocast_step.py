# A small regression MLP trained two ways people train in bfloat16 on the CPU: float32 weights under
# torch.autocast("cpu", dtype=torch.bfloat16) (linear in bfloat16, the loss in float32), then the same
# model converted with .bfloat16() and trained in bfloat16 throughout with SGD and momentum.
# conformance: tags = ["training", "nn", "dtype_promotion", "optim"]
import torch
import torch.nn as nn

torch.manual_seed(0)
x = torch.randn(64, 8)
y = (x[:, :1] * 0.5 - x[:, 1:2]).tanh() + 0.1 * torch.randn(64, 1)


def make_model():
    return nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 1))


print("default CPU autocast dtype:", torch.get_autocast_dtype("cpu"), torch.is_autocast_enabled("cpu"))

torch.manual_seed(1)
model = make_model()
opt = torch.optim.AdamW(model.parameters(), lr=1e-2)
loss_fn = nn.MSELoss()
for step in range(6):
    opt.zero_grad()
    with torch.autocast("cpu", dtype=torch.bfloat16):
        out = model(x)
        loss = loss_fn(out, y)
        if step == 0:
            print("inside:", torch.is_autocast_enabled("cpu"), out.dtype, loss.dtype, out.grad_fn.name())
    loss.backward()
    opt.step()
    print(f"autocast step {step}: loss {loss.item():.6f}")
print("weight grad dtype:", model[0].weight.grad.dtype, "weight dtype:", model[0].weight.dtype)
print(model[4].bias)

torch.manual_seed(1)
model = make_model().bfloat16()
xb, yb = x.bfloat16(), y.bfloat16()
opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
for step in range(6):
    opt.zero_grad()
    loss = nn.functional.mse_loss(model(xb), yb)
    loss.backward()
    opt.step()
    print(f"bfloat16 step {step}: loss {loss}")
print(model[4].weight.dtype, model[4].bias)
with torch.no_grad():
    pred = model(xb[:4])
print(pred, pred.float().sum())
