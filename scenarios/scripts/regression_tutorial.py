# A classic regression tutorial: an nn.Sequential MLP with Dropout over a shuffled DataLoader of a
# TensorDataset, Adam with StepLR, model.train()/model.eval() with torch.no_grad() evaluation, and the
# best state_dict checkpointed to an in-memory io.BytesIO with torch.save/torch.load, then restored.
# conformance: tags = ["training", "nn", "optim", "seeds", "no_grad"]
import copy
import io

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(42)

# y = sin(x0) + 0.5 * x1^2 - x2 + noise
X = torch.rand(200, 3) * 4 - 2
y = (torch.sin(X[:, 0]) + 0.5 * X[:, 1] ** 2 - X[:, 2] + 0.05 * torch.randn(200)).unsqueeze(1)
X_train, y_train, X_test, y_test = X[:160], y[:160], X[160:], y[160:]
mean, std = X_train.mean(0), X_train.std(0)
X_train, X_test = (X_train - mean) / std, (X_test - mean) / std

train_loader = DataLoader(TensorDataset(X_train, y_train), batch_size=16, shuffle=True)
test_loader = DataLoader(TensorDataset(X_test, y_test), batch_size=20)

model = nn.Sequential(
    nn.Linear(3, 32), nn.ReLU(), nn.Dropout(0.1),
    nn.Linear(32, 32), nn.ReLU(), nn.Dropout(0.1),
    nn.Linear(32, 1),
)  # fmt: skip
criterion = nn.MSELoss()
optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=3, gamma=0.5)


def evaluate():
    model.eval()
    total = 0.0
    with torch.no_grad():
        for xb, yb in test_loader:
            total += criterion(model(xb), yb).item() * len(xb)
    return total / len(test_loader.dataset)


best_loss, buffer = float("inf"), io.BytesIO()
for epoch in range(8):
    model.train()
    running = 0.0
    for xb, yb in train_loader:
        optimizer.zero_grad()
        loss = criterion(model(xb), yb)
        loss.backward()
        optimizer.step()
        running += loss.item() * xb.size(0)
    scheduler.step()
    test_loss = evaluate()
    print(
        f"epoch {epoch}: train {running / len(train_loader.dataset):.5f} test {test_loss:.5f} lr {scheduler.get_last_lr()[0]:.5f}"
    )
    if test_loss < best_loss:
        best_loss = test_loss
        buffer.seek(0)
        buffer.truncate()
        torch.save({"epoch": epoch, "model": model.state_dict(), "optimizer": optimizer.state_dict()}, buffer)

final_state = copy.deepcopy(model.state_dict())
buffer.seek(0)
checkpoint = torch.load(buffer, weights_only=True)
print("best epoch:", checkpoint["epoch"], "keys:", list(checkpoint["model"].keys())[:4])
print(checkpoint["optimizer"]["param_groups"][0]["lr"], len(checkpoint["optimizer"]["state"]))
model.load_state_dict(checkpoint["model"])
print(f"restored test loss {evaluate():.5f} (best {best_loss:.5f})")
optimizer.load_state_dict(checkpoint["optimizer"])
print(optimizer.state_dict()["state"][0]["step"])
model.load_state_dict(final_state)
print(f"final test loss {evaluate():.5f}")
with torch.no_grad():
    print(model(X_test[:3]).squeeze(1), y_test[:3].squeeze(1))
