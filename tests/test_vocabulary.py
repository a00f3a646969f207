"""The written forms of indexed words, kept in step with builds and updates."""

from indexer import build_index, update_index
from indexer.storage import current_generation
from indexer.vocabulary import Vocabulary


def words(index_dir):
    return Vocabulary.load(current_generation(index_dir)).words()


def test_most_frequent_written_form_is_shown():
    vocabulary = Vocabulary()
    vocabulary.add("المسؤولية المسئولية المسؤولية، الْمَسْؤُولِيَّةُ")
    assert vocabulary.words()["المسءوليه"] == ("المسؤولية", 4)


def test_build_records_titles_and_texts(corpus, index_dir):
    build_index([corpus], index_dir)
    vocab = words(index_dir)
    assert vocab["الدفاع"] == ("الدفاع", 3)  # title, first line, and الدِّفَاعِ shown without marks
    assert vocab["مسءوليه"][0] == "مسؤولية"
    assert vocab["المدارس"][0] == "المدارس"  # from the Markdown title


def test_update_adds_and_takes_back_words(corpus, index_dir):
    build_index([corpus], index_dir)
    (corpus / "news" / "security.txt").write_text("عنوان\n\nمكتبة الموصل", encoding="utf-8")
    update_index([corpus], index_dir)
    vocab = words(index_dir)
    assert "مسءوليه" not in vocab
    assert vocab["الموصل"] == ("الموصل", 1)
    (corpus / "news" / "security.txt").unlink()
    update_index([corpus], index_dir, prune=True)
    assert "الموصل" not in words(index_dir)
