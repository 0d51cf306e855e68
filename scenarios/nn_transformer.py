"""nn.Transformer and attention under a seed: the engine reproduces torch's initial weights (every layer's own
initialisation, then xavier_uniform_ over every matrix) and its dropout masks (the feed-forward and residual
dropouts and the attention weights' dropout inside scaled_dot_product_attention), so these are plain torch
programs that start with ``torch.manual_seed`` and need no copied weights.
"""

from conformance import scenario

TRAINING_TOLERANCE = {"float32": (1e-4, 1e-5)}
TRAINING_REASON = (
    "float32 sums through stacks of attention layers and Adam's normalised steps, in other orders than torch's "
    "BLAS (float64 agrees to 1e-12)"
)


@scenario(
    tags=["nn", "training", "optim"],
    dtypes=["float32", "float64"],
    timeout_s=120,
    tolerance=TRAINING_TOLERANCE,
    tolerance_reason=TRAINING_REASON,
)
def transformer_seq2seq_trains_with_adam(torch, check):
    # learn to reverse a token sequence: embeddings, nn.Transformer with dropout, a linear head
    torch.manual_seed(0)
    vocab, d_model = 9, 16
    embed = torch.nn.Embedding(vocab, d_model)
    model = torch.nn.Transformer(d_model, 2, 2, 2, 32, dropout=0.1)  # warns: batch_first is False
    head = torch.nn.Linear(d_model, vocab)
    params = [*embed.parameters(), *model.parameters(), *head.parameters()]
    check("names", [name for name, _ in model.named_parameters()][:6])
    check("initial in_proj_weight", model.encoder.layers[0].self_attn.in_proj_weight)
    opt = torch.optim.Adam(params, lr=3e-3)
    src = check.data((7, 4), seed=5, dtype=torch.int64, low=1, high=vocab)  # (S, N)
    tgt = src.flip(0)
    tgt_in = torch.cat([torch.zeros(1, 4, dtype=torch.int64), tgt[:-1]])
    tgt_mask = torch.nn.Transformer.generate_square_subsequent_mask(7)
    pad = torch.zeros(4, 7, dtype=torch.bool)
    pad[3, 5:] = True
    for step in range(5):
        out = model(embed(src), embed(tgt_in), tgt_mask=tgt_mask, src_key_padding_mask=pad,
                    memory_key_padding_mask=pad)  # fmt: skip
        loss = torch.nn.functional.cross_entropy(head(out).reshape(-1, vocab), tgt.reshape(-1))
        check("loss", loss, widen=1 + step)
        opt.zero_grad()
        loss.backward()
        if step == 0:
            check("first grad of decoder linear1", model.decoder.layers[1].linear1.weight.grad)
        opt.step()
    # (not in_proj_bias: its key third cannot change the softmax, so its grads are rounding noise that Adam's
    # normalised steps blow up to lr-sized values on both sides)
    check("decoder cross-attention out_proj", model.decoder.layers[0].multihead_attn.out_proj, widen=5)
    check("encoder norm", model.encoder.norm, widen=5)
    check("head", head, widen=5)
    model.eval()
    with torch.no_grad():
        check("eval output", model(embed(src), embed(tgt_in), tgt_mask=tgt_mask), widen=5)


@scenario(tags=["nn", "training"], dtypes=["float32", "float64"], tolerance=TRAINING_TOLERANCE,
          tolerance_reason=TRAINING_REASON)  # fmt: skip
def decoder_only_causal_stack(torch, check):
    # GPT-style: pre-norm GELU encoder layers under a causal mask, batch first, then eval without grad
    torch.manual_seed(1)
    layer = torch.nn.TransformerEncoderLayer(12, 4, 24, dropout=0.2, activation="gelu", batch_first=True,
                                             norm_first=True)  # fmt: skip
    stack = torch.nn.TransformerEncoder(layer, 3, torch.nn.LayerNorm(12))  # warns: norm_first
    x = check.data((2, 6, 12), seed=7, requires_grad=True)
    mask = torch.nn.Transformer.generate_square_subsequent_mask(6)
    y = stack(x, mask=mask, is_causal=True)
    check("y", y)
    (y * check.data((2, 6, 12), seed=8)).sum().backward()
    check("x.grad", x.grad)
    check("last layer linear2.weight.grad", stack.layers[2].linear2.weight.grad)
    check("first layer in_proj_weight.grad", stack.layers[0].self_attn.in_proj_weight.grad)
    check("next draw", torch.rand(3))
    stack.eval()
    with torch.no_grad():
        check("eval y", stack(x, mask=mask))  # the causal mask detected from its values

    # the same with TransformerDecoder cross-attending to its own input
    dec = torch.nn.TransformerDecoder(torch.nn.TransformerDecoderLayer(12, 3, 24, dropout=0.1), 2)
    h = check.data((6, 2, 12), seed=9, requires_grad=True)
    out = dec(h, h, tgt_mask=mask, memory_mask=mask, tgt_is_causal=True, memory_is_causal=True)
    check("decoder out", out)
    out.pow(2).mean().backward()
    check("h.grad", h.grad)


@scenario(tags=["nn", "seeds"], dtypes=["float32", "float64"])
def sdpa_dropout_under_a_seed(torch, check):
    F = torch.nn.functional
    q = check.data((2, 3, 4, 8), seed=1, requires_grad=True)
    k = check.data((2, 3, 5, 8), seed=2, requires_grad=True)
    v = check.data((2, 3, 5, 6), seed=3, requires_grad=True)
    torch.manual_seed(42)
    out = F.scaled_dot_product_attention(q, k, v, dropout_p=0.3)
    check("out", out)
    check("causal with scale", F.scaled_dot_product_attention(q, k, v, dropout_p=0.5, is_causal=True, scale=0.2))
    mask = torch.rand(4, 5) > 0.3
    check("bool mask", F.scaled_dot_product_attention(q, k, v, attn_mask=mask, dropout_p=0.25))
    (out * out).sum().backward()
    check("grads", [q.grad, k.grad, v.grad])
    check("next draw", torch.rand(4))
    # grouped-query attention: 6 query heads over 3 key/value heads, with dropout
    q6 = check.data((2, 6, 4, 8), seed=4)
    check("gqa", F.scaled_dot_product_attention(q6, k, v, dropout_p=0.2, enable_gqa=True))
    check.error("gqa without the flag", lambda: F.scaled_dot_product_attention(q6, k, v))
    check.error("dropout above one", lambda: F.scaled_dot_product_attention(q, k, v, dropout_p=1.5))
    check.error(
        "causal and a mask",
        lambda: F.scaled_dot_product_attention(q, k, v, attn_mask=torch.zeros(4, 5), is_causal=True),
    )
