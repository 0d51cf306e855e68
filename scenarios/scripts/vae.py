# A small variational autoencoder on random binary "images": MLP encoder to (mu, logvar), the
# reparameterisation trick with torch.randn_like, an MLP decoder giving logits, a Bernoulli reconstruction
# term by binary_cross_entropy_with_logits plus the analytic KL to N(0, I), trained 30 steps with Adam,
# printing the two ELBO terms.
# conformance: tags = ["training", "nn", "optim", "seeds"]
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)

D, H, Z = 20, 32, 4
data = (torch.rand(64, D) < 0.3).float()
print(data.sum().item(), data[0])


class VAE(nn.Module):
    def __init__(self):
        super().__init__()
        self.enc = nn.Sequential(nn.Linear(D, H), nn.ReLU())
        self.mu = nn.Linear(H, Z)
        self.logvar = nn.Linear(H, Z)
        self.dec = nn.Sequential(nn.Linear(Z, H), nn.ReLU(), nn.Linear(H, D))

    def forward(self, x):
        h = self.enc(x)
        mu, logvar = self.mu(h), self.logvar(h)
        std = torch.exp(0.5 * logvar)
        z = mu + std * torch.randn_like(std)
        return self.dec(z), mu, logvar


model = VAE()
opt = torch.optim.Adam(model.parameters(), lr=1e-2)
for step in range(30):
    logits, mu, logvar = model(data)
    recon = F.binary_cross_entropy_with_logits(logits, data, reduction="sum") / data.shape[0]
    kl = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp()) / data.shape[0]
    loss = recon + kl
    opt.zero_grad()
    loss.backward()
    opt.step()
    if step % 5 == 0 or step == 29:
        print(f"step {step:2d} recon {recon.item():.4f} kl {kl.item():.4f} -elbo {loss.item():.4f}")

model.eval()
with torch.no_grad():
    samples = torch.sigmoid(model.dec(torch.randn(3, Z)))
print(samples.round(decimals=3))
print((samples > 0.5).sum(dim=1))

# The analytic KL term against torch.distributions: the posterior Normal's rsample (reparameterised, so
# gradients flow) and kl_divergence to the standard-normal prior.
from torch.distributions import Normal, kl_divergence

model.train()
h = model.enc(data)
mu, logvar = model.mu(h), model.logvar(h)
q = Normal(mu, torch.exp(0.5 * logvar))
prior = Normal(torch.zeros_like(mu), torch.ones_like(mu))
kl_dist = kl_divergence(q, prior).sum(dim=1).mean()
kl_manual = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp()) / data.shape[0]
z = q.rsample()
print(f"kl {kl_dist.item():.5f} {kl_manual.item():.5f} logp {prior.log_prob(z).sum(1).mean().item():.4f}")
kl_dist.backward()
print(f"{model.mu.weight.grad.norm().item():.5f} {model.logvar.bias.grad[:3]}")
