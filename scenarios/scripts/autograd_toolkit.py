# A small training script that uses the autograd toolkit together: activation checkpointing in the model,
# anomaly detection around the training step, per-sample gradients with torch.func (vmap over grad with
# functional_call), their norms clipped DP-SGD style, a Jacobian-vector product by forward-mode AD, and a
# gradient hook across the parameters.
# conformance: tags = ["autograd_api", "training"]
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.autograd import forward_ad as fwAD
from torch.func import functional_call, grad, vmap
from torch.utils.checkpoint import checkpoint

torch.manual_seed(0)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.block = nn.Sequential(nn.Linear(4, 16), nn.Tanh(), nn.Linear(16, 16), nn.GELU())
        self.head = nn.Linear(16, 3)
        self.checkpointing = True

    def forward(self, x):
        # recomputed in backward instead of keeping its activations (torch.func's transforms refuse the
        # saved-tensor hooks checkpointing uses, so it is switched off under them)
        h = checkpoint(self.block, x, use_reentrant=False) if self.checkpointing else self.block(x)
        return self.head(h)


model = Net()
x = torch.randn(32, 4)
y = (x[:, 0] > 0).long() + (x[:, 1] > 0).long()
opt = torch.optim.SGD(model.parameters(), lr=0.1)

seen = []
handle = torch.autograd.graph.register_multi_grad_hook(
    list(model.parameters()), lambda grads: seen.append(sum(g.norm() for g in grads if g is not None).item())
)

params = {k: v.detach() for k, v in model.named_parameters()}


def sample_loss(p, xi, yi):
    out = functional_call(model, p, (xi.unsqueeze(0),))
    return F.cross_entropy(out, yi.unsqueeze(0))


per_sample = vmap(grad(sample_loss), in_dims=(None, 0, 0))

for step in range(20):
    with torch.autograd.detect_anomaly():
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
    # per-sample gradients, clipped to norm 1 and averaged (the DP-SGD update without the noise)
    params = {k: v.detach() for k, v in model.named_parameters()}
    model.checkpointing = False
    grads = per_sample(params, x, y)
    model.checkpointing = True
    norms = torch.sqrt(sum(g.reshape(32, -1).pow(2).sum(1) for g in grads.values()))
    scale = (1.0 / norms).clamp(max=1.0)
    with torch.no_grad():
        for name, p in model.named_parameters():
            clipped = (grads[name] * scale.reshape(-1, *([1] * (grads[name].dim() - 1)))).mean(0)
            p.grad = clipped
    opt.step()
    if step % 5 == 4:
        print(f"step {step + 1}: loss {loss.item():.5f}, mean per-sample grad norm {norms.mean().item():.5f}")

handle.remove()
print("hook calls:", len(seen), "last total grad norm:", round(seen[-1], 5))

# directional derivative of the logits along a fixed input direction, by forward-mode AD
direction = torch.ones(1, 4) / 2
with fwAD.dual_level():
    out = model(fwAD.make_dual(x[:1], direction))
    jvp = fwAD.unpack_dual(out).tangent
print("jvp:", [round(v, 5) for v in jvp[0].tolist()])
with torch.no_grad():
    eps = 1e-3
    fd = (model(x[:1] + eps * direction) - model(x[:1] - eps * direction)) / (2 * eps)
print("matches finite differences:", torch.allclose(jvp, fd, atol=1e-3))
