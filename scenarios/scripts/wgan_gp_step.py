# A WGAN-GP training loop: a small conv critic (Conv2d, BatchNorm2d, LeakyReLU, AvgPool2d, MaxPool2d,
# Linear) and an MLP generator; the gradient penalty takes the critic's input gradient with
# torch.autograd.grad(create_graph=True) and backpropagates through it (double backward through the
# conv, batch norm and pooling layers). 5 critic steps per generator step, Adam(betas=(0., 0.9)).
# The conv before BatchNorm has no bias (as DCGAN-style critics write it): its grad would be 0 up to
# float32 rounding noise (1e-7), which Adam's first step (beta1 = 0) turns into a +-lr update of random
# sign on either engine, and the running mean printed at the end would follow that noise.
# conformance: tags = ["training", "nn", "optim", "autograd_grad", "double_backward", "seeds"]
import torch
from torch import nn

torch.manual_seed(0)

Z, IMG = 8, 8


class Critic(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 4, 3, padding=1),
            nn.LeakyReLU(0.2),
            nn.AvgPool2d(2),
            nn.Conv2d(4, 8, 3, padding=1, bias=False),  # BatchNorm follows: a bias would be cancelled
            nn.BatchNorm2d(8),
            nn.LeakyReLU(0.2),
            nn.MaxPool2d(2),
        )
        self.fc = nn.Linear(8 * 2 * 2, 1)

    def forward(self, x):
        return self.fc(self.features(x).flatten(1))


generator = nn.Sequential(nn.Linear(Z, 32), nn.ReLU(), nn.Linear(32, IMG * IMG), nn.Tanh())
critic = Critic()
opt_c = torch.optim.Adam(critic.parameters(), lr=1e-3, betas=(0.0, 0.9))
opt_g = torch.optim.Adam(generator.parameters(), lr=1e-3, betas=(0.0, 0.9))
LAMBDA = 10.0

# "real" data: blurred blobs
real_all = torch.randn(64, 1, IMG, IMG).cumsum(-1).tanh()


def gradient_penalty(real, fake):
    alpha = torch.rand(real.size(0), 1, 1, 1)
    interp = (alpha * real + (1 - alpha) * fake).requires_grad_(True)
    out = critic(interp)
    (g,) = torch.autograd.grad(out, interp, grad_outputs=torch.ones_like(out), create_graph=True)
    g = g.view(g.size(0), -1)
    return ((g.norm(2, dim=1) - 1) ** 2).mean()


for it in range(5):
    for _ in range(5):
        idx = torch.randint(0, real_all.size(0), (16,))
        real = real_all[idx]
        fake = generator(torch.randn(16, Z)).view(-1, 1, IMG, IMG).detach()
        gp = gradient_penalty(real, fake)
        loss_c = critic(fake).mean() - critic(real).mean() + LAMBDA * gp
        opt_c.zero_grad()
        loss_c.backward()
        opt_c.step()
    conv_gn = critic.features[0].weight.grad.norm().item()
    bn_gn = critic.features[4].weight.grad.norm().item()
    fc_gn = critic.fc.weight.grad.norm().item()

    fake = generator(torch.randn(16, Z)).view(-1, 1, IMG, IMG)
    loss_g = -critic(fake).mean()
    opt_g.zero_grad()
    loss_g.backward()
    opt_g.step()
    g_gn = generator[0].weight.grad.norm().item()
    print(
        f"iter {it}: critic {loss_c.item():.4f} gp {gp.item():.4f} gen {loss_g.item():.4f} "
        f"| grad norms conv {conv_gn:.4f} bn {bn_gn:.4f} fc {fc_gn:.4f} gen {g_gn:.4f}"
    )

print(critic.features[4].running_mean[:4])
print(critic.features[4].num_batches_tracked)
