"""torch.nn.utils: gradient clipping in a training loop, packed sequences through LSTM/GRU classifiers,
weight normalisation (parametrization and the deprecated hook), parametrize, and their errors."""

from conformance import scenario


@scenario(tags=["nn", "training", "optim"], dtypes=["float32", "float64"])
def clip_grad_norm_training_step(torch, check):
    model = check.same_weights(torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Linear(8, 2)))
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    x = check.data((6, 4), seed=1)
    y = check.data((6, 2), seed=2, low=-10, high=10)
    for step in range(4):
        opt.zero_grad()
        loss = ((model(x) - y) ** 2).mean()
        loss.backward()
        check("loss", loss, widen=1 + step)
        check("total norm", torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=0.5), widen=1 + step)
        check("clipped grad", model[0].weight.grad, widen=1 + step)
        opt.step()
    check("model", model, widen=5)


@scenario(tags=["nn"], dtypes=["float32", "float64"])
def clip_grad_norm_types_and_value(torch, check):
    params = [torch.nn.Parameter(check.data(s, seed=i)) for i, s in enumerate([(3, 4), (5,), (), (2,)])]
    for i, p in enumerate(params[:3]):
        p.grad = check.data(tuple(p.shape), seed=10 + i, low=-3, high=3)
    grads = [p.grad.clone() for p in params[:3]]
    for norm_type in (2.0, 1, float("inf"), 0.5, "inf"):
        for p, g in zip(params, grads):
            p.grad = g.clone()
        check(f"total {norm_type}", torch.nn.utils.clip_grad_norm_(params, 0.7, norm_type=norm_type))
        check(f"grads {norm_type}", [p.grad for p in params[:3]])
    check("params[3].grad", params[3].grad)
    check("get_total_norm", torch.nn.utils.get_total_norm(grads, 3.0))
    torch.nn.utils.clip_grads_with_norm_(params, 0.1, torch.tensor(2.0))
    check("clip_grads_with_norm_", [p.grad for p in params[:3]])
    torch.nn.utils.clip_grad_value_(params, 0.05)
    check("clip_grad_value_", [p.grad for p in params[:3]])
    check("no grads at all", torch.nn.utils.clip_grad_norm_([torch.nn.Parameter(torch.ones(2))], 1.0))
    check("empty generator", torch.nn.utils.clip_grad_norm_((p for p in []), 1.0))  # a UserWarning
    check("deprecated spelling", torch.nn.utils.clip_grad_norm(params, 1.0))  # a FutureWarning
    params[1].grad[0] = float("nan")
    check.error("non-finite", lambda: torch.nn.utils.clip_grad_norm_(params, 1.0, error_if_nonfinite=True))
    check.error("integer tensors", lambda: torch.nn.utils.get_total_norm([torch.tensor([3, 4])]))
    vec = torch.nn.utils.parameters_to_vector(params)
    check("parameters_to_vector", vec)
    torch.nn.utils.vector_to_parameters(vec * 2, params)
    check("vector_to_parameters", [p.detach() for p in params])
    check.error("vector_to_parameters of a list", lambda: torch.nn.utils.vector_to_parameters([1.0], params))


@scenario(tags=["nn"], dtypes=["float32", "float64"])
def pad_pack_and_unpack_sequences(torch, check):
    rnn = torch.nn.utils.rnn
    seqs = [check.data((n, 2), seed=20 + n, requires_grad=True) for n in (2, 4, 1)]
    check("pad_sequence", rnn.pad_sequence(seqs))
    check(
        "pad_sequence batch_first left", rnn.pad_sequence(seqs, batch_first=True, padding_side="left", padding_value=-1)
    )
    packed = rnn.pack_sequence(seqs, enforce_sorted=False)
    check("packed", packed)
    padded, lengths = rnn.pad_packed_sequence(packed, batch_first=True, total_length=6)
    check("padded", padded)
    check("lengths", lengths)
    check("unpacked", rnn.unpack_sequence(packed))
    x = check.data((4, 3, 2), seed=30, requires_grad=True)
    packed2 = rnn.pack_padded_sequence(x, torch.tensor([4, 2, 1]))
    check("pack_padded_sequence", packed2)
    check("to double", packed2.to(torch.float64).data)
    (padded.sin().sum() + packed2.data.pow(2).sum()).backward()
    check("seq grads", [s.grad for s in seqs])
    check("x.grad", x.grad)
    check.error("unsorted lengths", lambda: rnn.pack_padded_sequence(x, [1, 2, 4]))
    check.error("zero length", lambda: rnn.pack_padded_sequence(x, [4, 2, 0]))
    check.error("lengths count", lambda: rnn.pack_padded_sequence(x, [4, 2]))
    check.error("empty list", lambda: rnn.pad_sequence([]))
    check.error("padding side", lambda: rnn.pad_sequence(seqs, padding_side="middle"))
    check.error("total_length too short", lambda: rnn.pad_packed_sequence(packed, total_length=2))


@scenario(tags=["nn", "training"], dtypes=["float32", "float64"])
def packed_lstm_classifier_forward_backward(torch, check):
    emb = check.same_weights(torch.nn.Embedding(10, 3), key="emb")
    lstm = check.same_weights(torch.nn.LSTM(3, 4, num_layers=2, batch_first=True, bidirectional=True), key="lstm")
    head = check.same_weights(torch.nn.Linear(8, 2), key="head")
    tokens = torch.tensor([[1, 2, 3, 0], [4, 5, 0, 0], [6, 7, 8, 9]])
    lengths = torch.tensor([3, 2, 4])
    packed = torch.nn.utils.rnn.pack_padded_sequence(emb(tokens), lengths, batch_first=True, enforce_sorted=False)
    out, (h, c) = lstm(packed)
    check("packed output", out)
    check("h", h)
    check("c", c)
    padded, out_lengths = torch.nn.utils.rnn.pad_packed_sequence(out, batch_first=True)
    check("padded", padded)
    check("out lengths", out_lengths)
    logits = head(torch.cat([h[-2], h[-1]], dim=1))
    loss = torch.nn.functional.cross_entropy(logits, torch.tensor([0, 1, 1]))
    check("loss", loss)
    loss.backward()
    check("emb.weight.grad", emb.weight.grad)
    check("lstm", lstm)
    check("lstm grads", [p.grad for p in lstm.parameters()])
    check("head.weight.grad", head.weight.grad)


@scenario(tags=["nn", "training"], dtypes=["float32", "float64"])
def packed_gru_classifier_forward_backward(torch, check):
    gru = check.same_weights(torch.nn.GRU(3, 5, num_layers=2))
    head = check.same_weights(torch.nn.Linear(5, 3))
    seqs = [check.data((n, 3), seed=40 + n, requires_grad=True) for n in (5, 2, 4)]
    h0 = check.data((2, 3, 5), seed=50, requires_grad=True)
    packed = torch.nn.utils.rnn.pack_sequence(seqs, enforce_sorted=False)
    out, h = gru(packed, h0)
    check("packed output", out)
    check("h", h)
    loss = torch.nn.functional.cross_entropy(head(h[-1]), torch.tensor([2, 0, 1]))
    check("loss", loss)
    loss.backward()
    check("seq grads", [s.grad for s in seqs])
    check("h0.grad", h0.grad)
    check("gru grads", [p.grad for p in gru.parameters()])
    packed_sorted = torch.nn.utils.rnn.pack_sequence(sorted(seqs, key=len, reverse=True))
    check.error("hidden batch mismatch", lambda: gru(packed_sorted, torch.zeros(2, 2, 5)))


@scenario(tags=["nn"], dtypes=["float32", "float64"])
def weight_norm_forward_backward(torch, check):
    conv = check.same_weights(torch.nn.Conv1d(2, 3, 2), key="conv")
    torch.nn.utils.parametrizations.weight_norm(conv)
    check("class", type(conv).__name__)
    check("names", [n for n, _ in conv.named_parameters()])
    check("state_dict keys", list(conv.state_dict()))
    check("repr", repr(conv))
    x = check.data((2, 2, 5), seed=60)
    out = conv(x)
    check("weight", conv.weight)
    check("out", out)
    (out * out).sum().backward()
    check("g.grad", conv.parametrizations.weight.original0.grad)
    check("v.grad", conv.parametrizations.weight.original1.grad)
    lin = check.same_weights(torch.nn.Linear(3, 4), key="lin")
    torch.nn.utils.parametrizations.weight_norm(lin, dim=None)
    y = lin(check.data((2, 3), seed=61))
    y.pow(2).sum().backward()
    check("whole-tensor weight", lin.weight)
    check("whole-tensor g.grad", lin.parametrizations.weight.original0.grad)
    torch.nn.utils.parametrize.remove_parametrizations(lin, "weight")
    check("removed", [type(lin).__name__, [n for n, _ in lin.named_parameters()]])
    check("removed weight", lin.weight)


@scenario(tags=["nn", "warnings"], dtypes=["float32", "float64"])
def deprecated_weight_norm_hook(torch, check):
    lin = check.same_weights(torch.nn.Linear(3, 2))
    torch.nn.utils.weight_norm(lin, dim=1)  # a FutureWarning
    check("names", [n for n, _ in lin.named_parameters()])
    check("weight_g", lin.weight_g)
    x = check.data((4, 3), seed=62)
    out = lin(x)
    check("out", out)
    out.sum().backward()
    check("weight_g.grad", lin.weight_g.grad)
    check("weight_v.grad", lin.weight_v.grad)
    check.error("twice", lambda: torch.nn.utils.weight_norm(lin, dim=1))
    torch.nn.utils.remove_weight_norm(lin)
    check("after removal", [n for n, _ in lin.named_parameters()])
    check("weight", lin.weight)
    check.error("remove again", lambda: torch.nn.utils.remove_weight_norm(lin))


@scenario(tags=["nn"], dtypes=["float32", "float64"])
def custom_parametrization(torch, check):
    class Symmetric(torch.nn.Module):
        def forward(self, x):
            return x.triu() + x.triu(1).transpose(-1, -2)

        def right_inverse(self, a):
            return a.triu()

    lin = check.same_weights(torch.nn.Linear(3, 3))
    torch.nn.utils.parametrize.register_parametrization(lin, "weight", Symmetric())
    check("weight", lin.weight)
    check("is_parametrized", torch.nn.utils.parametrize.is_parametrized(lin, "weight"))
    lin(check.data((2, 3), seed=63)).sum().backward()
    check("original.grad", lin.parametrizations.weight.original.grad)
    lin.weight = check.data((3, 3), seed=64)
    check("original after assignment", lin.parametrizations.weight.original)
    with torch.nn.utils.parametrize.cached():
        check("cached is reused", lin.weight is lin.weight)
    check.error("no such tensor", lambda: torch.nn.utils.parametrize.register_parametrization(lin, "nope", Symmetric()))
