# Everyday torch beyond the basics: a small classifier built from ModuleList/LayerNorm/GELU/Embedding,
# trained with AdamW and a OneCycleLR schedule, then a REINFORCE-style update through
# torch.distributions.Categorical. Everything is seeded, so both engines see the same numbers.
# conformance: tags = ["seeds", "training", "nn", "optim"]
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.distributions import Categorical, Normal
from torch.optim.lr_scheduler import OneCycleLR, StepLR

torch.manual_seed(0)


class Classifier(nn.Module):
    def __init__(self, vocab, dim, classes, depth):
        super().__init__()
        self.embed = nn.Embedding(vocab, dim, padding_idx=0)
        self.blocks = nn.ModuleList(
            nn.Sequential(nn.LayerNorm(dim), nn.Linear(dim, dim), nn.GELU()) for _ in range(depth)
        )
        self.head = nn.Linear(dim, classes)

    def forward(self, tokens):
        h = self.embed(tokens).mean(dim=1)
        for block in self.blocks:
            h = h + block(h)
        return self.head(h)


model = Classifier(vocab=20, dim=8, classes=3, depth=2)
print(model)
tokens = torch.randint(0, 20, (32, 5))
labels = torch.randint(0, 3, (32,))
optimizer = torch.optim.AdamW(model.parameters(), lr=1e-2, weight_decay=0.05)
scheduler = OneCycleLR(optimizer, max_lr=5e-2, total_steps=40)
for step in range(40):
    optimizer.zero_grad()
    loss = F.cross_entropy(model(tokens), labels, label_smoothing=0.1)
    loss.backward()
    optimizer.step()
    scheduler.step()
    if step % 5 == 0:
        print(step, f"{loss.item():.6f}", f"{scheduler.get_last_lr()[0]:.8f}")
values, order = model(tokens).softmax(dim=-1).sort(dim=-1, descending=True)
print("top class counts", torch.bincount(order[:, 0], minlength=3).tolist())
print("confidence", values[:4, 0])

# REINFORCE on a 4-armed bandit: the policy's logits are the parameters
logits = torch.zeros(4, requires_grad=True)
rewards = torch.tensor([0.1, 0.5, 0.2, 0.9])
policy_opt = torch.optim.SGD([logits], lr=0.5, momentum=0.9)
decay = StepLR(policy_opt, step_size=10, gamma=0.5)
for episode in range(30):
    dist = Categorical(logits=logits)
    actions = dist.sample((16,))
    reward = rewards[actions] + Normal(0.0, 0.05).sample((16,))
    loss = -(dist.log_prob(actions) * (reward - reward.mean())).mean()
    policy_opt.zero_grad()
    loss.backward()
    policy_opt.step()
    decay.step()
    if episode % 10 == 9:
        print(episode, actions.tolist(), f"{dist.entropy().item():.6f}", decay.get_last_lr())
print("policy", Categorical(logits=logits).probs)
