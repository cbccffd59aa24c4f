"""A tiny random Qwen3.5-architecture model, built offline, for tests and smoke runs.

Two layers (one linear-attention, one full-attention, as in Qwen3.5's hybrid stack), hidden
size 64, a 512-token byte-level BPE tokenizer trained here, and a ChatML chat template with
`{% generation %}` markers. Building it takes about a second and needs no network.

`tiny:qwen3.5-thinking` is the same model with a thinking switch in its template, as Qwen3.5's
own: the reply opens a `<think>` trace unless `enable_thinking` is false, which gives it an
empty, closed one instead.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

CHATML_TEMPLATE = (
    "{%- for message in messages %}"
    "{%- if message['role'] == 'assistant' %}"
    "{{- '<|im_start|>assistant\\n' }}{% generation %}"
    "{{- message['content'] + '<|im_end|>' }}{% endgeneration %}{{- '\\n' }}"
    "{%- else %}"
    "{{- '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' }}"
    "{%- endif %}"
    "{%- endfor %}"
    "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}"
)
THINKING_TEMPLATE = CHATML_TEMPLATE.replace(
    "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}",
    "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}"
    "{%- if enable_thinking is defined and enable_thinking is false %}"
    "{{- '<think>\\n\\n</think>\\n\\n' }}"
    "{%- else %}{{- '<think>\\n' }}{%- endif %}"
    "{%- endif %}",
)
SPECIAL_TOKENS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
VOCAB_SIZE = 512


def _tokenizer_corpus() -> list[str]:
    """Return fixed text to learn merges from; independent of the suite, so the model is too."""
    words = (
        "procedure step identify the value of a an and or to from by in on is are was were "
        "price percent change interest rate year years day days month date hour minutes "
        "total sum difference product divide multiply add subtract round result answer task "
        "solve follow list sort median mean word letter vowel shift area perimeter angle "
        "number numbers first second third fourth fifth last state write count find"
    ).split()
    months = "January February March April May June July August September October November"
    sentences = [
        "You solve problems. Show your work, then give the final answer on the last line.",
        "Procedure: 1. Identify 2. Compute 3. Check 4. Round 5. State",
        f"{months} December Monday Tuesday Wednesday Thursday Friday Saturday Sunday",
        "ANSWER: 42 ANSWER: -3.5 ANSWER: 3/4 ANSWER: 2024-05-01 ANSWER: yes ANSWER: a, b, c",
    ]
    numbers = " ".join(str(n) for n in range(1000))
    return sentences + [" ".join(words)] * 4 + [numbers]


def build_tiny_qwen35(out: Path, chat_template: str = CHATML_TEMPLATE) -> None:
    """Write a seeded random tiny Qwen3.5 model and its tokenizer to `out`."""
    import torch
    import transformers
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import AutoModelForCausalLM, PreTrainedTokenizerFast, Qwen3_5TextConfig

    transformers.utils.logging.disable_progress_bar()

    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=VOCAB_SIZE,
        special_tokens=SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    bpe.train_from_iterator(_tokenizer_corpus(), trainer=trainer)
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=bpe,
        eos_token="<|im_end|>",
        pad_token="<|endoftext|>",
        chat_template=chat_template,
    )

    config = Qwen3_5TextConfig(
        vocab_size=bpe.get_vocab_size(),
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        head_dim=16,
        layer_types=["linear_attention", "full_attention"],
        linear_num_key_heads=2,
        linear_num_value_heads=4,
        linear_key_head_dim=16,
        linear_value_head_dim=16,
        max_position_embeddings=2048,
        tie_word_embeddings=True,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    model.generation_config.eos_token_id = tokenizer.eos_token_id
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)


build_tiny_qwen35_thinking = partial(build_tiny_qwen35, chat_template=THINKING_TEMPLATE)
"""Write the tiny model with a thinking switch in its chat template to `out`."""
