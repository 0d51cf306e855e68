# A typical mini-batch training script: a TensorDataset of torch.randn data split with random_split,
# a shuffled DataLoader, a small MLP trained with SGD + momentum for a few epochs, printing the
# losses and a batch. The shuffle order and the split come from the seeded default generator.
# conformance: tags = ["seeds", "training", "nn", "optim"]
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset, random_split

torch.manual_seed(0)

# Synthetic regression data: y = x @ w + noise
n_samples, n_features = 256, 4
X = torch.randn(n_samples, n_features)
true_w = torch.tensor([[2.0], [-1.0], [0.5], [3.0]])
y = X @ true_w + 0.1 * torch.randn(n_samples, 1)

dataset = TensorDataset(X, y)
train_set, val_set = random_split(dataset, [0.8, 0.2])
train_loader = DataLoader(train_set, batch_size=32, shuffle=True)
val_loader = DataLoader(val_set, batch_size=64)
print(len(train_set), len(val_set), len(train_loader), len(val_loader))
print(val_set.indices[:8])

model = nn.Sequential(nn.Linear(n_features, 16), nn.ReLU(), nn.Linear(16, 1))
loss_fn = nn.MSELoss()
optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)

for epoch in range(5):
    model.train()
    running = 0.0
    for xb, yb in train_loader:
        optimizer.zero_grad()
        loss = loss_fn(model(xb), yb)
        loss.backward()
        optimizer.step()
        running += loss.item() * xb.shape[0]
    model.eval()
    with torch.no_grad():
        val_loss = sum(loss_fn(model(xb), yb).item() * xb.shape[0] for xb, yb in val_loader) / len(val_set)
    print(f"epoch {epoch}: train loss {running / len(train_set):.6f}, val loss {val_loss:.6f}")

# One more shuffled batch, then the generator's next draw: both depend on what the loader consumed
xb, yb = next(iter(train_loader))
print(xb[:4])
print(yb[:4].squeeze(1))
print(torch.rand(3))
