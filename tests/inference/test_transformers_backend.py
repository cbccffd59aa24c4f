from procsft.inference.protocol import GenerationRequest


def _requests(n, max_new_tokens=12):
    return [
        GenerationRequest(
            messages=[
                {"role": "system", "content": "Be brief."},
                {"role": "user", "content": "What is " + "1 + " * i + "1?"},
            ],
            max_new_tokens=max_new_tokens,
        )
        for i in range(n)
    ]


def test_batched_greedy_equals_one_by_one(tiny_generator):
    requests = _requests(5)
    batched = tiny_generator.generate(requests)
    single = [tiny_generator.generate([r])[0] for r in requests]
    assert [g.text for g in batched] == [g.text for g in single]
    # Left padding: each prompt's own token count, not the padded width.
    assert [g.prompt_tokens for g in batched] == [g.prompt_tokens for g in single]
    assert len({g.prompt_tokens for g in batched}) == 5


def test_token_budget_and_finish_reason(tiny_generator):
    for g in tiny_generator.generate(_requests(3, max_new_tokens=4)):
        assert g.completion_tokens <= 4
        assert g.finish_reason == ("length" if g.completion_tokens == 4 else "stop")


def test_seeded_sampling_is_reproducible(tiny_generator):
    requests = [
        GenerationRequest(messages=r.messages, max_new_tokens=12, temperature=1.0, seed=7)
        for r in _requests(3)
    ]
    first, again = tiny_generator.generate(requests), tiny_generator.generate(requests)
    assert [g.text for g in first] == [g.text for g in again]


def test_path_names_engine_weights_dtype_and_template(tiny_generator, tiny_model):
    path = tiny_generator.path
    assert path["engine"] == "transformers" and path["dtype"] == "float32"
    assert path["weights_sha256"] == tiny_model.weights_sha256
    assert len(path["chat_template_sha256"]) == 64


def test_a_batch_that_runs_out_of_memory_is_split(tiny_generator, monkeypatch):
    import torch

    requests = _requests(5)
    whole = [g.text for g in tiny_generator.generate(requests)]
    real = type(tiny_generator)._generate_batch
    sizes = []

    def small_memory(self, batch):
        sizes.append(len(batch))
        if len(batch) > 2:
            raise torch.OutOfMemoryError("simulated")
        return real(self, batch)

    monkeypatch.setattr(type(tiny_generator), "_generate_batch", small_memory)
    assert [g.text for g in tiny_generator.generate(requests)] == whole
    assert sizes == [5, 2, 3, 1, 2]


def test_continuation_logprobs_match_an_unpadded_full_pass(tiny_generator):
    import torch

    requests = _requests(3)
    options = [" PASS", " FAIL", " maybe not"]
    batched = tiny_generator.continuation_logprobs(requests, "VERDICT:", options)
    tok, model = tiny_generator.tokenizer, tiny_generator.model
    for request, scores in zip(requests, batched, strict=True):
        prompt = tok.apply_chat_template(
            request.messages, add_generation_prompt=True, tokenize=False
        )
        context = tok(prompt + "VERDICT:", add_special_tokens=False).input_ids
        for option, score in zip(options, scores, strict=True):
            ending = tok(option, add_special_tokens=False).input_ids
            with torch.inference_mode():
                logits = model(input_ids=torch.tensor([context + ending])).logits[0]
            steps = logits.log_softmax(-1)[len(context) - 1 : -1]
            expected = sum(steps[i, t].item() for i, t in enumerate(ending))
            assert abs(score - expected) < 1e-4
