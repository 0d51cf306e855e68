# Device-agnostic boilerplate as people paste it: the device from torch.accelerator, an MPS check,
# cudnn.benchmark, legacy FloatTensor/LongTensor constructors, torch.amp.GradScaler enabled only on
# cuda and torch.autocast disabled on the CPU, around a small MLP classifier trained a few steps.
# conformance: tags = ["devices", "training", "nn", "optim", "seeds"]
import torch
import torch.nn as nn
import torch.nn.functional as F

device = torch.accelerator.current_accelerator() if torch.accelerator.is_available() else torch.device("cpu")
print("device:", device, device.type)
print("mps available:", torch.backends.mps.is_available())
print("cuda available:", torch.cuda.is_available())
torch.backends.cudnn.benchmark = True
print("cudnn benchmark:", torch.backends.cudnn.benchmark)

torch.manual_seed(0)
features = torch.FloatTensor([[0.5, -1.2, 0.3], [1.5, 0.2, -0.7], [-0.3, 0.8, 1.1], [0.9, -0.4, -1.3]])
labels = torch.LongTensor([0, 1, 2, 1])
print(features.dtype, labels.dtype, features.type(), labels.type())
X = torch.cat([features, torch.randn(28, 3)]).to(device)
y = torch.cat([labels, torch.randint(0, 3, (28,))]).to(device)
print(X.shape, y.shape, X.device)

model = nn.Sequential(nn.Linear(3, 16), nn.ReLU(), nn.Linear(16, 3)).to(device)
optimizer = torch.optim.AdamW(model.parameters(), lr=1e-2, weight_decay=1e-2)
use_amp = device.type == "cuda"
scaler = torch.amp.GradScaler(device.type, enabled=use_amp)
print("scaler enabled:", scaler.is_enabled(), "scale:", scaler.get_scale())

for step in range(10):
    optimizer.zero_grad(set_to_none=True)
    with torch.autocast(device_type=device.type, dtype=torch.float16, enabled=use_amp):
        logits = model(X)
        loss = F.cross_entropy(logits, y)
    print_dtype = logits.dtype
    scaler.scale(loss).backward()
    scaler.unscale_(optimizer)
    norm = nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
    scaler.step(optimizer)
    scaler.update()
    if step % 3 == 0 or step == 9:
        print(f"step {step}: loss {loss.item():.5f} grad norm {norm.item():.5f} logits {print_dtype}")

model.eval()
with torch.inference_mode():
    pred = model(X).argmax(dim=1)
print("accuracy:", (pred == y).float().mean().item())
print(pred[:8].cpu())
