# Classifying variable-length sequences with a GRU: the sequences are padded with pad_sequence, packed with
# pack_padded_sequence(enforce_sorted=False) so that the GRU skips the padding, and the last hidden state of
# each sequence feeds a linear classifier trained with SGD and cross-entropy, printing loss and accuracy.
# The label is whether the sequence's feature sum is positive.
# conformance: tags = ["training", "nn", "optim"]
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence, pad_sequence

torch.manual_seed(0)

lengths = torch.randint(2, 9, (16,))
seqs = [torch.randn(int(n), 3) for n in lengths]
labels = torch.tensor([int(s.sum() > 0) for s in seqs])
padded = pad_sequence(seqs, batch_first=True)
print(lengths.tolist(), labels.tolist(), padded.shape)


class Classifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.gru = nn.GRU(3, 16, batch_first=True)
        self.fc = nn.Linear(16, 2)

    def forward(self, x, lens):
        packed = pack_padded_sequence(x, lens, batch_first=True, enforce_sorted=False)
        out, h = self.gru(packed)
        return self.fc(h[-1]), out


model = Classifier()
opt = torch.optim.SGD(model.parameters(), lr=0.5, momentum=0.9)
for step in range(15):
    logits, _ = model(padded, lengths)
    loss = F.cross_entropy(logits, labels)
    opt.zero_grad()
    loss.backward()
    opt.step()
    acc = (logits.argmax(1) == labels).float().mean()
    if step % 3 == 0 or step == 14:
        print(f"step {step:2d} loss {loss.item():.4f} acc {acc.item():.3f}")

with torch.no_grad():
    logits, out = model(padded, lengths)
    unpacked, out_lens = pad_packed_sequence(out, batch_first=True)
print(out.batch_sizes.tolist(), out.sorted_indices.tolist())
print(unpacked.shape, out_lens.tolist())
print(F.softmax(logits, dim=1)[:4])
print(unpacked[0, :, :3])

# A two-layer bidirectional GRU on pack_sequence (the list form) gives the same final states as on the
# padded batch packed with its lengths.
from torch.nn.utils.rnn import pack_sequence

bigru = nn.GRU(3, 4, num_layers=2, bidirectional=True, batch_first=True)
with torch.no_grad():
    _, h_list = bigru(pack_sequence(seqs, enforce_sorted=False))
    _, h_pad = bigru(pack_padded_sequence(padded, lengths, batch_first=True, enforce_sorted=False))
print(h_list.shape, torch.equal(h_list, h_pad))
print(h_list[:, 2])
