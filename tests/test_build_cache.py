"""The digest that decides whether a standalone project is compiled again (build_cache)."""

from diehl_cook.simulation.build_cache import source_digest


def _project(directory, files):
    for name, text in files.items():
        path = directory / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def test_the_digest_follows_every_source_file_and_ignores_static_arrays(tmp_path):
    _project(
        tmp_path,
        {
            "makefile": "all:\n",
            "main.cpp": "int main() { return 0; }\n",
            "brianlib/spikequeue.h": "class CSpikeQueue {};\n",
            "code_objects/kernel.cu": "__global__ void kernel() {}\n",
            "static_arrays/_static_array_weights": "\x00\x01",
        },
    )
    digest = source_digest(tmp_path)
    assert source_digest(tmp_path) == digest  # the same files, the same digest
    (tmp_path / "static_arrays" / "_static_array_weights").write_text("\x02\x03")
    assert source_digest(tmp_path) == digest  # read at run time, not compiled
    seen = {digest}
    for name, text in [
        ("main.cpp", "int main() { return 1; }\n"),
        ("brianlib/spikequeue.h", "class CSpikeQueue { int n; };\n"),
        ("code_objects/kernel.cu", "__global__ void kernel() { }\n"),  # a GPU kernel
        ("makefile", "all: main\n"),
    ]:
        (tmp_path / name).write_text(text)
        seen.add(source_digest(tmp_path))
    assert len(seen) == 5  # every change gave a new digest


def test_the_digest_names_each_file_by_its_path(tmp_path):
    # the same content under another name is another project
    _project(tmp_path / "a", {"makefile": "all:\n", "one.cpp": "x\n"})
    _project(tmp_path / "b", {"makefile": "all:\n", "two.cpp": "x\n"})
    assert source_digest(tmp_path / "a") != source_digest(tmp_path / "b")
