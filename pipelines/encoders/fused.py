"""A BERT encoder forward pass on the CPU through oneDNN's fused linear kernels.

The same weights and the same arithmetic as ``BertModel`` in inference, with fewer passes
over memory: the query, key and value projections are one matrix product, each bias (and
the intermediate GELU) is applied inside the matrix product instead of by a second pass,
and attention takes a key-padding mask instead of a built ``(batch, 1, length, length)``
one. These are the kernels PyTorch's own compiler picks for linear layers on the CPU
(``torch.ops.mkldnn._linear_pointwise``). In float32 the vectors equal the transformers
forward to rounding; in bfloat16 everything between the embeddings and the last hidden
states runs in bfloat16 (matrix products on AMX where the CPU has it), except the LayerNorm
statistics, which are float32 inside the kernel. On a CPU shared with other work, fewer
operators also means fewer waits for a descheduled thread at each operator's end.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# What the fused forward reproduces: BERT layers with exact (erf) GELU, absolute positions,
# an encoder only.
FUSED_MODEL_TYPES = ("bert",)


def supports_fused(model: Any, device: Any) -> bool:
    """Whether :class:`FusedBert` reproduces ``model`` on ``device``."""
    import torch

    config = model.config
    return (
        device.type == "cpu"
        and torch.backends.mkldnn.is_available()
        and config.model_type in FUSED_MODEL_TYPES
        and config.hidden_act == "gelu"
        and getattr(config, "position_embedding_type", "absolute") == "absolute"
        and not config.is_decoder
        and not getattr(config, "add_cross_attention", False)
    )


@dataclass(frozen=True)
class _Linear:
    weight: Any
    bias: Any


def _linear(module: Any, dtype: Any) -> _Linear:
    return _Linear(_pack(module.weight, dtype), module.bias.detach().to(dtype))


def _pack(weight: Any, dtype: Any) -> Any:
    """The weight in the layout oneDNN reads fastest (a plain copy in float32)."""
    import torch

    weight = weight.detach().to(dtype).contiguous()
    if dtype == torch.bfloat16:
        return torch.ops.mkldnn._reorder_linear_weight(weight)
    return weight


class _Layer:
    """One BERT layer's weights, fused for inference."""

    def __init__(self, layer: Any, dtype: Any) -> None:
        import torch

        attention = layer.attention
        own = attention.self
        self.heads = int(own.num_attention_heads)
        self.head_size = int(own.attention_head_size)
        qkv_weight = torch.cat([own.query.weight, own.key.weight, own.value.weight])
        qkv_bias = torch.cat([own.query.bias, own.key.bias, own.value.bias])
        self.qkv = _Linear(_pack(qkv_weight, dtype), qkv_bias.detach().to(dtype))
        self.attention_out = _linear(attention.output.dense, dtype)
        self.attention_norm = attention.output.LayerNorm
        self.intermediate = _linear(layer.intermediate.dense, dtype)
        self.out = _linear(layer.output.dense, dtype)
        self.out_norm = layer.output.LayerNorm

    def __call__(self, hidden: Any, mask: Any) -> Any:
        """``hidden`` (batch, length, width) in the layer's dtype -> the layer's output."""
        import torch

        linear = torch.ops.mkldnn._linear_pointwise
        batch, length, width = hidden.shape
        qkv = linear(hidden, self.qkv.weight, self.qkv.bias, "none", [], "")
        query, key, value = (
            qkv.view(batch, length, 3, self.heads, self.head_size).permute(2, 0, 3, 1, 4).unbind(0)
        )
        context = torch.nn.functional.scaled_dot_product_attention(
            query, key, value, attn_mask=mask
        )
        context = context.transpose(1, 2).reshape(batch, length, width)
        # Bias and residual added inside the matrix product.
        attended = self.attention_norm(
            linear.binary(
                context, hidden, self.attention_out.weight, self.attention_out.bias, "add"
            )
        )
        inner = linear(
            attended, self.intermediate.weight, self.intermediate.bias, "gelu", [], "none"
        )
        return self.out_norm(linear.binary(inner, attended, self.out.weight, self.out.bias, "add"))


class FusedBert:
    """``BertModel``'s last hidden states, computed with fused CPU kernels in ``dtype``."""

    def __init__(self, model: Any, dtype: Any) -> None:
        self.embeddings = model.embeddings
        self.dtype = dtype
        self.layers = [_Layer(layer, dtype) for layer in model.encoder.layer]

    def __call__(self, input_ids: Any, attention_mask: Any, token_type_ids: Any = None) -> Any:
        """Last hidden states (batch, length, width), float32."""
        hidden = self.embeddings(input_ids=input_ids, token_type_ids=token_type_ids)
        hidden = hidden.to(self.dtype)
        # Keys at padded positions are masked out; every query position attends.
        mask = attention_mask.bool()[:, None, None, :]
        for layer in self.layers:
            hidden = layer(hidden, mask)
        return hidden.float()
