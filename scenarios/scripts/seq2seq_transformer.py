# A toy sequence-to-sequence script: nn.Transformer (batch_first) learns to reverse short token
# sequences. Teacher forcing with generate_square_subsequent_mask and key padding masks, Adam with a
# LambdaLR warm-up, then greedy decoding of two sequences.
# conformance: tags = ["training", "nn", "optim", "seeds"]
import torch
from torch import nn

torch.manual_seed(0)

PAD, BOS, EOS = 0, 1, 2
VOCAB, D_MODEL, MAX_LEN = 10, 16, 8


def make_batch(n):
    lengths = torch.randint(3, 6, (n,))
    src = torch.full((n, 6), PAD, dtype=torch.long)
    tgt = torch.full((n, 8), PAD, dtype=torch.long)
    for i in range(n):
        L = int(lengths[i])
        seq = torch.randint(3, VOCAB, (L,))
        src[i, :L] = seq
        tgt[i, 0] = BOS
        tgt[i, 1 : L + 1] = seq.flip(0)
        tgt[i, L + 1] = EOS
    return src, tgt


class Seq2Seq(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(VOCAB, D_MODEL, padding_idx=PAD)
        self.pos = nn.Parameter(torch.randn(1, MAX_LEN, D_MODEL) * 0.1)
        self.transformer = nn.Transformer(
            d_model=D_MODEL,
            nhead=2,
            num_encoder_layers=1,
            num_decoder_layers=1,
            dim_feedforward=32,
            dropout=0.0,
            batch_first=True,
        )
        self.out = nn.Linear(D_MODEL, VOCAB)

    def encode_tokens(self, x):
        return self.embed(x) + self.pos[:, : x.size(1)]

    def forward(self, src, tgt_in):
        tgt_mask = nn.Transformer.generate_square_subsequent_mask(tgt_in.size(1))
        h = self.transformer(
            self.encode_tokens(src),
            self.encode_tokens(tgt_in),
            tgt_mask=tgt_mask,
            src_key_padding_mask=src == PAD,
            tgt_key_padding_mask=tgt_in == PAD,
            memory_key_padding_mask=src == PAD,
        )
        return self.out(h)


model = Seq2Seq()
print(sum(p.numel() for p in model.parameters()))
opt = torch.optim.Adam(model.parameters(), lr=3e-3, betas=(0.9, 0.98), eps=1e-9)
warmup = 5
sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda step: min((step + 1) / warmup, 1.0))
loss_fn = nn.CrossEntropyLoss(ignore_index=PAD)

src, tgt = make_batch(16)
print(src[:2])
print(tgt[:2])
for step in range(15):
    model.train()
    logits = model(src, tgt[:, :-1])
    loss = loss_fn(logits.reshape(-1, VOCAB), tgt[:, 1:].reshape(-1))
    opt.zero_grad()
    loss.backward()
    gn = torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    opt.step()
    sched.step()
    if step % 3 == 0 or step == 14:
        print(f"step {step}: loss {loss.item():.4f} grad norm {gn.item():.4f} lr {sched.get_last_lr()[0]:.5f}")


@torch.no_grad()
def greedy(src_row):
    model.eval()
    src_row = src_row.unsqueeze(0)
    memory = model.transformer.encoder(model.encode_tokens(src_row), src_key_padding_mask=src_row == PAD)
    ys = torch.tensor([[BOS]])
    for _ in range(MAX_LEN - 1):
        mask = nn.Transformer.generate_square_subsequent_mask(ys.size(1))
        h = model.transformer.decoder(
            model.encode_tokens(ys), memory, tgt_mask=mask, memory_key_padding_mask=src_row == PAD
        )
        logits = model.out(h[:, -1])
        nxt = logits.argmax(-1, keepdim=True)
        ys = torch.cat([ys, nxt], dim=1)
        if nxt.item() == EOS:
            break
    return ys.squeeze(0), logits.softmax(-1).max().item()


for i in range(2):
    toks, conf = greedy(src[i])
    print(f"src {src[i].tolist()} -> {toks.tolist()} (last p {conf:.4f})")
