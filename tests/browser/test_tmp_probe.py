def test_probe(index, problems):
    index.evaluate("""() => { console.error('x'); setTimeout(() => { throw new Error('boom'); });
        fetch('/static/missing.js'); fetch('http://127.0.0.1:1/').catch(() => {}); }""")
    index.wait_for_timeout(500)
    print("\n".join(problems))
    assert problems == []
