# A character-level GPT of the kind nanoGPT-style tutorials build: token and position embeddings, two
# pre-norm blocks of causal self-attention (F.scaled_dot_product_attention with is_causal=True) and a GELU
# MLP, the output head tied to the token embedding and GPT-2's normal(0, 0.02) init, trained for 20 steps
# with AdamW (weight decay on the matrices only) and gradient-norm clipping on random windows of a short
# text, then greedy decoding (argmax, no sampling) of 20 characters.
# conformance: tags = ["training", "nn", "optim", "seeds"]
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)

text = "to be or not to be, that is the question. whether tis nobler in the mind to suffer "
chars = sorted(set(text))
stoi = {c: i for i, c in enumerate(chars)}
itos = {i: c for c, i in stoi.items()}
data = torch.tensor([stoi[c] for c in text], dtype=torch.long)
vocab, block, n_embd, n_head = len(chars), 16, 32, 4
print(vocab, data.shape, data[:10].tolist())


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.ln1 = nn.LayerNorm(n_embd)
        self.qkv = nn.Linear(n_embd, 3 * n_embd)
        self.proj = nn.Linear(n_embd, n_embd)
        self.ln2 = nn.LayerNorm(n_embd)
        self.mlp = nn.Sequential(nn.Linear(n_embd, 4 * n_embd), nn.GELU(), nn.Linear(4 * n_embd, n_embd))

    def forward(self, x):
        B, T, C = x.shape
        q, k, v = self.qkv(self.ln1(x)).split(n_embd, dim=2)
        q = q.view(B, T, n_head, C // n_head).transpose(1, 2)
        k = k.view(B, T, n_head, C // n_head).transpose(1, 2)
        v = v.view(B, T, n_head, C // n_head).transpose(1, 2)
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        y = y.transpose(1, 2).contiguous().view(B, T, C)
        x = x + self.proj(y)
        return x + self.mlp(self.ln2(x))


class GPT(nn.Module):
    def __init__(self):
        super().__init__()
        self.tok = nn.Embedding(vocab, n_embd)
        self.pos = nn.Embedding(block, n_embd)
        self.blocks = nn.Sequential(Block(), Block())
        self.ln_f = nn.LayerNorm(n_embd)
        self.head = nn.Linear(n_embd, vocab, bias=False)
        self.head.weight = self.tok.weight  # weight tying: one parameter, gradients from both uses
        self.apply(self._init_weights)

    def _init_weights(self, module):
        if isinstance(module, (nn.Linear, nn.Embedding)):
            nn.init.normal_(module.weight, mean=0.0, std=0.02)
        if isinstance(module, nn.Linear) and module.bias is not None:
            nn.init.zeros_(module.bias)

    def forward(self, idx, targets=None):
        T = idx.shape[1]
        x = self.tok(idx) + self.pos(torch.arange(T))
        logits = self.head(self.ln_f(self.blocks(x)))
        loss = None
        if targets is not None:
            loss = F.cross_entropy(logits.view(-1, vocab), targets.view(-1))
        return logits, loss


model = GPT()
print(sum(p.numel() for p in model.parameters()))
decay = [p for n, p in model.named_parameters() if p.dim() >= 2]
no_decay = [p for n, p in model.named_parameters() if p.dim() < 2]
opt = torch.optim.AdamW(
    [{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}], lr=3e-3, betas=(0.9, 0.95)
)


def get_batch(bs=8):
    ix = torch.randint(len(data) - block, (bs,))
    x = torch.stack([data[i : i + block] for i in ix])
    y = torch.stack([data[i + 1 : i + 1 + block] for i in ix])
    return x, y


for step in range(20):
    xb, yb = get_batch()
    _, loss = model(xb, yb)
    opt.zero_grad(set_to_none=True)
    loss.backward()
    norm = torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    opt.step()
    if step % 4 == 0 or step == 19:
        print(f"step {step:2d} loss {loss.item():.4f} grad norm {norm.item():.4f}")

model.eval()
idx = torch.tensor([[stoi["t"]]])
with torch.no_grad():
    for _ in range(20):
        logits, _ = model(idx[:, -block:])
        nxt = logits[:, -1, :].argmax(dim=-1, keepdim=True)
        idx = torch.cat([idx, nxt], dim=1)
print(repr("".join(itos[i] for i in idx[0].tolist())))
print(idx[0].tolist())

# The same causal attention written out by hand (masked_fill with -inf, softmax) for the first block on the
# decoded text: it must agree with scaled_dot_product_attention's is_causal=True.
with torch.no_grad():
    blk = model.blocks[0]
    x = model.tok(idx[:, :block]) + model.pos(torch.arange(block))
    B, T, C = x.shape
    q, k, v = blk.qkv(blk.ln1(x)).split(n_embd, dim=2)
    q, k, v = (t.view(B, T, n_head, C // n_head).transpose(1, 2) for t in (q, k, v))
    att = (q @ k.transpose(-2, -1)) * (1.0 / (C // n_head) ** 0.5)
    mask = torch.tril(torch.ones(T, T, dtype=torch.bool))
    att = F.softmax(att.masked_fill(~mask, float("-inf")), dim=-1)
    manual = att @ v
    fused = F.scaled_dot_product_attention(q, k, v, is_causal=True)
print(torch.allclose(manual, fused, atol=1e-6), att[0, 0, 3, :5])
print(manual[0, 1, 5, :4])
