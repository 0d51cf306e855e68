# Fitting an LSTM + linear read-out to a sine wave (predict the next sample) with torch.optim.LBFGS and the
# closure pattern, printing the loss after each outer step. Float64 throughout: in float32 the initial
# loss agrees to 10 digits, but torch's and NumPy's summation orders leave the loss after the first LBFGS
# step 1.2e-6 apart (relative), and LBFGS's curvature pairs amplify that to 2.5% by the fifth step and 0.2%
# in the final predictions; in float64 both agree to every printed digit.
# conformance: tags = ["training", "nn", "optim"]
import math

import torch
import torch.nn as nn

torch.manual_seed(0)
torch.set_default_dtype(torch.float64)

t = torch.linspace(0, 4 * math.pi, 41)
wave = torch.sin(t)
x = wave[:-1].view(1, -1, 1)  # (batch, seq, feature)
y = wave[1:].view(1, -1, 1)


class Seq(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(1, 12, batch_first=True)
        self.out = nn.Linear(12, 1)

    def forward(self, inp):
        h, _ = self.lstm(inp)
        return self.out(h)


model = Seq()
loss_fn = nn.MSELoss()
opt = torch.optim.LBFGS(model.parameters(), lr=0.8, max_iter=10, history_size=10)
print(f"initial loss {loss_fn(model(x), y).item():.8f}")
calls = 0


def closure():
    global calls
    calls += 1
    opt.zero_grad()
    loss = loss_fn(model(x), y)
    loss.backward()
    return loss


for step in range(5):
    loss = opt.step(closure)
    print(f"step {step} loss {loss.item():.8f} evals {calls}")

with torch.no_grad():
    pred = model(x)
print(f"final {loss_fn(pred, y).item():.8f}")
print(pred[0, :6, 0])
print(opt.state[opt._params[0]]["n_iter"], opt.state[opt._params[0]]["func_evals"])

# The same fit from a fresh model with the strong-Wolfe line search.
torch.manual_seed(1)
model = Seq()
opt = torch.optim.LBFGS(model.parameters(), lr=1, max_iter=8, line_search_fn="strong_wolfe")
calls = 0
for step in range(4):
    loss = opt.step(closure)
    print(f"wolfe step {step} loss {loss.item():.8f} evals {calls}")
state = opt.state[opt._params[0]]
print(state["n_iter"], state["func_evals"], f"{state['t']:.6f}", len(state["old_dirs"]))
