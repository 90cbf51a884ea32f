// GPT-2 tokenizer against ids from js-tiktoken's r50k_base (cases.jsonl),
// plus the streaming decoder, invalid input and malformed tokenizer files.
// Runs on the real GPT-2 vocab.json and merges.txt in tests/data/tokenizer.
#include <QtTest>

#include <nlohmann/json.hpp>

#include <fstream>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "core/common/errors.h"
#include "core/tokenizer/bpe_files.h"
#include "core/tokenizer/bpe_merger.h"
#include "core/tokenizer/gpt2_tokenizer.h"
#include "core/tokenizer/streaming_decoder.h"
#include "core/tokenizer/tokenizer_loader.h"
#include "core/tokenizer/utf8.h"
#include "test_paths.h"

using gpupoor::Gpt2Tokenizer;
using gpupoor::TokenId;

namespace {

std::filesystem::path tokenizerDir() { return gpupoor::test::dataDir() / "tokenizer"; }

std::string readFile(const std::filesystem::path& path) {
  std::ifstream stream(path, std::ios::binary);
  std::ostringstream content;
  content << stream.rdbuf();
  return std::move(content).str();
}

void writeFile(const std::filesystem::path& path, std::string_view content) {
  std::ofstream stream(path, std::ios::binary);
  stream.write(content.data(), static_cast<std::streamsize>(content.size()));
}

QList<int> toList(const std::vector<TokenId>& ids) { return QList<int>(ids.begin(), ids.end()); }

std::vector<TokenId> toVector(const QList<int>& ids) {
  return std::vector<TokenId>(ids.begin(), ids.end());
}

// The first `count` lines of the real merges.txt (the "#version" header included).
std::string firstMergeLines(std::size_t count) {
  const std::string merges = readFile(tokenizerDir() / "merges.txt");
  std::size_t end = 0;
  for (std::size_t line = 0; line < count; ++line) end = merges.find('\n', end) + 1;
  return merges.substr(0, end);
}

// Returns what a StreamingDecoder emits for `ids`: every push() output,
// then flush().
std::vector<std::string> streamPieces(const std::shared_ptr<const Gpt2Tokenizer>& tokenizer,
                                      const std::vector<TokenId>& ids) {
  gpupoor::StreamingDecoder decoder(tokenizer);
  std::vector<std::string> pieces;
  for (const TokenId id : ids) pieces.push_back(decoder.push(id));
  pieces.push_back(decoder.flush());
  return pieces;
}

}  // namespace

class TestTokenizer : public QObject {
  Q_OBJECT

 private:
  std::shared_ptr<const Gpt2Tokenizer> m_tokenizer;
  QTemporaryDir m_tempDir;

  std::filesystem::path makeFolder(const QString& name) {
    const std::filesystem::path folder = m_tempDir.filePath(name).toStdString();
    std::filesystem::create_directories(folder);
    return folder;
  }

 private slots:
  void initTestCase() {
    QVERIFY(m_tempDir.isValid());
    m_tokenizer = gpupoor::requireTokenizer(tokenizerDir());
    QVERIFY(m_tokenizer != nullptr);
  }

  void vocabularyFacts() {
    QCOMPARE(m_tokenizer->vocabSize(), 50257);
    QCOMPARE(m_tokenizer->eotId(), TokenId{50256});
    QCOMPARE(m_tokenizer->mergeCount(), std::size_t{50000});
    QCOMPARE(m_tokenizer->tokenBytes(50256), std::string_view("<|endoftext|>"));
    QCOMPARE(m_tokenizer->tokenBytes(220), std::string_view(" "));
    QCOMPARE(m_tokenizer->tokenBytes(198), std::string_view("\n"));
  }

  void encodesReferenceCases_data() {
    QTest::addColumn<QByteArray>("text");
    QTest::addColumn<QList<int>>("specialAllowedIds");
    QTest::addColumn<QList<int>>("plainIds");

    std::ifstream cases(tokenizerDir() / "cases.jsonl");
    QVERIFY(cases.good());
    std::string line;
    int index = 0;
    while (std::getline(cases, line)) {
      if (line.empty()) continue;
      const auto entry = nlohmann::json::parse(line);
      const auto text = entry.at("text").get<std::string>();
      const auto special = entry.at("special_allowed").get<std::vector<TokenId>>();
      const auto plain = entry.at("plain").get<std::vector<TokenId>>();
      const QString prefix = QString::fromUtf8(text).left(16).replace('\n', "\\n");
      const QByteArray rowName =
          QStringLiteral("case %1: %2").arg(index, 2, 10, QChar('0')).arg(prefix).toUtf8();
      QTest::newRow(rowName.constData())
          << QByteArray::fromStdString(text) << toList(special) << toList(plain);
      ++index;
    }
    QVERIFY(index >= 30);
  }

  void encodesReferenceCases() {
    QFETCH(QByteArray, text);
    QFETCH(QList<int>, specialAllowedIds);
    QFETCH(QList<int>, plainIds);
    const std::string_view input(text.constData(), static_cast<std::size_t>(text.size()));

    QCOMPARE(toList(m_tokenizer->encode(input, true)), specialAllowedIds);
    QCOMPARE(toList(m_tokenizer->encode(input, false)), plainIds);
    QCOMPARE(m_tokenizer->decode(toVector(specialAllowedIds)), std::string(input));
    QCOMPARE(m_tokenizer->decode(toVector(plainIds)), std::string(input));
  }

  void specialTokenOnlyWhenAllowed() {
    QCOMPARE(toList(m_tokenizer->encode("<|endoftext|>", true)), QList<int>{50256});
    const auto plain = m_tokenizer->encode("<|endoftext|>", false);
    QCOMPARE(plain.size(), std::size_t{7});
    QVERIFY(std::find(plain.begin(), plain.end(), 50256) == plain.end());
    QCOMPARE(toList(m_tokenizer->encode("<|endoftext|><|endoftext|>", true)),
             (QList<int>{50256, 50256}));
  }

  void preTokenizerPieces_data() {
    QTest::addColumn<QByteArray>("text");
    QTest::addColumn<QStringList>("pieces");
    QTest::newRow("words keep leading space")
        << QByteArray("Hello world") << QStringList{"Hello", " world"};
    QTest::newRow("contraction split") << QByteArray("isn't") << QStringList{"isn", "'t"};
    QTest::newRow("space run before word") << QByteArray("a   b") << QStringList{"a", "  ", " b"};
    QTest::newRow("trailing spaces") << QByteArray("a  ") << QStringList{"a", "  "};
    // U+180E is not White_Space, so it joins the punctuation run.
    QTest::newRow("mongolian vowel separator")
        << QByteArray("a\u180E!") << QStringList{"a", "\u180E!"};
    QTest::newRow("no-break space is white space")
        << QByteArray("a\u00A0b") << QStringList{"a", "\u00A0", "b"};
  }

  void preTokenizerPieces() {
    QFETCH(QByteArray, text);
    QFETCH(QStringList, pieces);
    QStringList actual;
    for (const auto& piece : m_tokenizer->preTokenize(text.toStdString())) {
      actual << QString::fromStdString(piece);
    }
    QCOMPARE(actual, pieces);
  }

  void wikitextExcerptRoundTrips() {
    const std::string text =
        readFile(gpupoor::test::sourceDir() / "resources/eval/wikitext-2-test-excerpt.txt");
    QVERIFY(text.size() > 50'000);
    const auto ids = m_tokenizer->encode(text, false);
    QVERIFY(ids.size() > text.size() / 8);
    QVERIFY(ids.size() < text.size() / 2);
    QCOMPARE(m_tokenizer->decode(ids), text);
  }

  void longRunsRoundTrip_data() {
    QTest::addColumn<QByteArray>("text");
    QTest::newRow("200k letters") << QByteArray(200'000, 'a');
    QTest::newRow("200k digits") << QByteArray(200'000, '7');
    QTest::newRow("200k spaces") << QByteArray(200'000, ' ');
    QTest::newRow("200k newlines then word") << QByteArray(200'000, '\n') + "word";
    QTest::newRow("200k punctuation") << QByteArray(200'000, '!');
    QTest::newRow("100k two-byte letters") << QString(100'000, QChar(0x00E9)).toUtf8();
  }

  void longRunsRoundTrip() {
    QFETCH(QByteArray, text);
    const auto ids = m_tokenizer->encode(text.toStdString(), false);
    QVERIFY(!ids.empty());
    // GPT-2 has no token for two spaces, so a space run stays one token a byte.
    QVERIFY(ids.size() <= static_cast<std::size_t>(text.size()));
    QCOMPARE(m_tokenizer->decode(ids), text.toStdString());
  }

  void heapMergeMatchesQuadratic() {
    const auto tables =
        gpupoor::readBpeFiles(tokenizerDir() / "vocab.json", tokenizerDir() / "merges.txt");
    const gpupoor::BpeMerger merger(tables.merges, tables.byteTokenIds);

    std::vector<std::string> pieces = {"hello", " the", "aaaaaaaaaaaaaaaaaaaa",
                                       "supercalifragilisticexpialidocious", "\xF0\x9F\x99\x82"};
    // Random words over a small alphabet produce many merge ties and
    // overlapping pairs; the fixed seed keeps the test repeatable.
    std::mt19937 random(1234);
    const std::string alphabet = "aeinrst ";
    for (int word = 0; word < 300; ++word) {
      std::string piece;
      const int length = 2 + static_cast<int>(random() % 300);
      for (int i = 0; i < length; ++i) piece += alphabet[random() % alphabet.size()];
      pieces.push_back(piece);
    }
    for (const auto& piece : pieces) {
      QCOMPARE(toList(merger.encodeWordHeap(piece)), toList(merger.encodeWordQuadratic(piece)));
    }
  }

  void concurrentEncodeMatchesSerial() {
    // A fresh tokenizer, so the threads fill an empty word cache together.
    const auto tokenizer = gpupoor::requireTokenizer(tokenizerDir());
    const std::string text =
        readFile(gpupoor::test::sourceDir() / "resources/eval/wikitext-2-test-excerpt.txt");
    constexpr int kThreads = 4;
    std::vector<std::vector<TokenId>> results(kThreads);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] { results[t] = tokenizer->encode(text, t % 2 == 0); });
    }
    for (auto& thread : threads) thread.join();

    const auto serial = m_tokenizer->encode(text, false);
    for (int t = 0; t < kThreads; ++t) QCOMPARE(toList(results[t]), toList(serial));
  }

  void streamingDecoderHoldsSplitEmoji() {
    const std::string emoji = "\xF0\x9F\x99\x82";  // U+1F642, split over two tokens by GPT-2
    const auto ids = m_tokenizer->encode(emoji, false);
    QCOMPARE(ids.size(), std::size_t{2});

    gpupoor::StreamingDecoder decoder(m_tokenizer);
    QCOMPARE(decoder.push(ids[0]), std::string());
    QVERIFY(decoder.pendingBytes() > 0);
    QCOMPARE(decoder.push(ids[1]), emoji);
    QCOMPARE(decoder.pendingBytes(), std::size_t{0});
    QCOMPARE(decoder.flush(), std::string());
  }

  void streamingDecoderRebuildsText_data() {
    QTest::addColumn<QByteArray>("text");
    QTest::newRow("emoji sentence") << QByteArray("emoji \U0001F642\U0001F680 and \u2764\uFE0F");
    QTest::newRow("family emoji") << QByteArray("\U0001F469\u200D\U0001F469\u200D\U0001F467");
    QTest::newRow("japanese") << QByteArray("日本語のテキスト");
    QTest::newRow("ascii") << QByteArray("plain ASCII text.");
  }

  void streamingDecoderRebuildsText() {
    QFETCH(QByteArray, text);
    const auto pieces = streamPieces(m_tokenizer, m_tokenizer->encode(text.toStdString(), false));
    std::string joined;
    for (const auto& piece : pieces) {
      QVERIFY2(!gpupoor::utf8::findInvalidByte(piece).has_value(), piece.c_str());
      joined += piece;
    }
    QCOMPARE(joined, text.toStdString());
  }

  void streamingDecoderReplacesInvalidBytes() {
    const auto byteToken = [&](unsigned char byte) {
      return m_tokenizer->encode(std::string(1, static_cast<char>(byte)), false);
    };
    // Single bytes above 0x7F are not valid UTF-8 text, so their tokens come
    // from the raw byte table instead of encode().
    const auto tables =
        gpupoor::readBpeFiles(tokenizerDir() / "vocab.json", tokenizerDir() / "merges.txt");
    gpupoor::StreamingDecoder decoder(m_tokenizer);

    QCOMPARE(decoder.push(tables.byteTokenIds[0x80]),
             std::string(gpupoor::utf8::kReplacementCharacter));
    QCOMPARE(decoder.push(tables.byteTokenIds[0xF0]), std::string());
    QCOMPARE(decoder.pendingBytes(), std::size_t{1});
    QCOMPARE(decoder.push(byteToken('A')[0]),
             std::string(gpupoor::utf8::kReplacementCharacter) + "A");
    QCOMPARE(decoder.push(tables.byteTokenIds[0xE2]), std::string());
    QCOMPARE(decoder.flush(), std::string(gpupoor::utf8::kReplacementCharacter));
    QCOMPARE(decoder.pendingBytes(), std::size_t{0});
  }

  void streamingDecoderRejectsBadId() {
    gpupoor::StreamingDecoder decoder(m_tokenizer);
    const auto ids = m_tokenizer->encode("\xF0\x9F\x99\x82", false);
    QCOMPARE(decoder.push(ids[0]), std::string());
    QVERIFY_THROWS_EXCEPTION(gpupoor::InvalidArgument, decoder.push(50257));
    QCOMPARE(decoder.push(ids[1]), std::string("\xF0\x9F\x99\x82"));
  }

  void invalidUtf8Rejected_data() {
    QTest::addColumn<QByteArray>("text");
    QTest::addColumn<bool>("allowSpecial");
    QTest::addColumn<QString>("expectedOffset");
    QTest::newRow("lone continuation byte") << QByteArray(
                                                   "ab\x80"
                                                   "cd")
                                            << false << "offset 2";
    QTest::newRow("truncated at end") << QByteArray("hello \xC3") << false << "offset 6";
    QTest::newRow("overlong slash") << QByteArray("\xC0\xAF") << false << "offset 0";
    QTest::newRow("utf-16 surrogate") << QByteArray("x\xED\xA0\x80") << false << "offset 1";
    QTest::newRow("above U+10FFFF") << QByteArray("xy\xF4\x90\x80\x80") << false << "offset 2";
    QTest::newRow("latin-1 after special")
        << QByteArray("<|endoftext|>caf\xE9") << true << "offset 16";
  }

  void invalidUtf8Rejected() {
    QFETCH(QByteArray, text);
    QFETCH(bool, allowSpecial);
    QFETCH(QString, expectedOffset);
    try {
      m_tokenizer->encode(text.toStdString(), allowSpecial);
      QFAIL("encode accepted invalid UTF-8");
    } catch (const gpupoor::InvalidArgument& error) {
      const QString message = QString::fromUtf8(error.what());
      QVERIFY2(message.contains("not valid UTF-8"), error.what());
      QVERIFY2(message.contains("byte " + expectedOffset), error.what());
    }
  }

  void outOfRangeIdRejected_data() {
    QTest::addColumn<int>("id");
    QTest::newRow("vocabulary size") << 50257;
    QTest::newRow("negative") << -1;
    QTest::newRow("large") << 1'000'000;
  }

  void outOfRangeIdRejected() {
    QFETCH(int, id);
    const std::vector<TokenId> ids = {15496, id};
    try {
      m_tokenizer->decode(ids);
      QFAIL("decode accepted an out-of-range id");
    } catch (const gpupoor::InvalidArgument& error) {
      const QString message = QString::fromUtf8(error.what());
      QVERIFY2(message.contains(QStringLiteral("token id %1 ").arg(id)), error.what());
      QVERIFY2(message.contains("50257 tokens"), error.what());
    }
    QVERIFY_THROWS_EXCEPTION(gpupoor::InvalidArgument, m_tokenizer->tokenBytes(id));
  }

  void missingFilesNamed_data() {
    QTest::addColumn<bool>("hasVocab");
    QTest::addColumn<bool>("hasMerges");
    QTest::addColumn<QStringList>("named");
    QTest::newRow("no merges") << true << false << QStringList{"merges.txt"};
    QTest::newRow("no vocab") << false << true << QStringList{"vocab.json"};
    QTest::newRow("neither") << false << false << QStringList{"vocab.json", "merges.txt"};
  }

  void missingFilesNamed() {
    QFETCH(bool, hasVocab);
    QFETCH(bool, hasMerges);
    QFETCH(QStringList, named);
    const auto folder = makeFolder(QTest::currentDataTag());
    if (hasVocab) std::filesystem::copy_file(tokenizerDir() / "vocab.json", folder / "vocab.json");
    if (hasMerges) std::filesystem::copy_file(tokenizerDir() / "merges.txt", folder / "merges.txt");

    QVERIFY(gpupoor::tryLoadTokenizer(folder) == nullptr);
    try {
      gpupoor::requireTokenizer(folder);
      QFAIL("requireTokenizer accepted a folder without tokenizer files");
    } catch (const gpupoor::InvalidArgument& error) {
      const QString message = QString::fromUtf8(error.what());
      for (const auto& file : named) QVERIFY2(message.contains(file), error.what());
      QVERIFY2(message.contains(QString::fromStdString(folder.string())), error.what());
    }
  }

  void missingFolderRejected() {
    const auto folder = std::filesystem::path(m_tempDir.path().toStdString()) / "absent";
    QVERIFY_THROWS_EXCEPTION(gpupoor::InvalidArgument, gpupoor::tryLoadTokenizer(folder));
    QVERIFY_THROWS_EXCEPTION(gpupoor::InvalidArgument, gpupoor::requireTokenizer(folder));
  }

  void malformedMergesNamesLine_data() {
    QTest::addColumn<QByteArray>("badLine");
    QTest::addColumn<QString>("expected");
    // The bad line follows the header and two good rules, so it is line 4.
    QTest::newRow("three tokens") << QByteArray("a b c") << "line 4";
    QTest::newRow("one token") << QByteArray("ab") << "line 4";
    QTest::newRow("double space") << QByteArray("a  b") << "line 4";
    QTest::newRow("empty line before more rules") << QByteArray("\na b") << "line 4: empty line";
    QTest::newRow("merged token not in vocab") << QByteArray("zqx zqy") << "merged token";
    QTest::newRow("char outside byte table") << QByteArray("a \u4E00") << "U+4E00";
  }

  void malformedMergesNamesLine() {
    QFETCH(QByteArray, badLine);
    QFETCH(QString, expected);
    const auto folder = makeFolder(QTest::currentDataTag());
    std::filesystem::copy_file(tokenizerDir() / "vocab.json", folder / "vocab.json");
    writeFile(folder / "merges.txt", firstMergeLines(3) + badLine.toStdString() + "\n");
    try {
      Gpt2Tokenizer tokenizer(folder / "vocab.json", folder / "merges.txt");
      QFAIL("a malformed merges.txt was accepted");
    } catch (const gpupoor::InvalidCheckpoint& error) {
      const QString message = QString::fromUtf8(error.what());
      QVERIFY2(message.contains("merges.txt"), error.what());
      QVERIFY2(message.contains(expected), error.what());
    }
  }

  void mergesWithoutHeaderAccepted() {
    const auto folder = makeFolder("no header");
    std::filesystem::copy_file(tokenizerDir() / "vocab.json", folder / "vocab.json");
    const std::string merges = firstMergeLines(1001);
    writeFile(folder / "merges.txt", merges.substr(merges.find('\n') + 1));
    const Gpt2Tokenizer tokenizer(folder / "vocab.json", folder / "merges.txt");
    QCOMPARE(tokenizer.mergeCount(), std::size_t{1000});
    QCOMPARE(tokenizer.decode(tokenizer.encode("round trip", false)), std::string("round trip"));
  }

  void malformedVocabRejected_data() {
    QTest::addColumn<QByteArray>("vocab");
    QTest::addColumn<QString>("expected");
    QTest::newRow("truncated json") << QByteArray("{\"a\": 0,\n\"b\": ") << "line 2";
    QTest::newRow("array instead of object") << QByteArray("[1, 2]") << "JSON object";
    QTest::newRow("id is a string") << QByteArray("{\"a\": \"0\"}") << "non-negative integer";
    QTest::newRow("id beyond count") << QByteArray("{\"a\": 0, \"b\": 5}") << "without gaps";
    QTest::newRow("missing byte tokens") << QByteArray("{\"a\": 0, \"b\": 1}") << "byte 0x00";
  }

  void malformedVocabRejected() {
    QFETCH(QByteArray, vocab);
    QFETCH(QString, expected);
    const auto folder = makeFolder(QTest::currentDataTag());
    writeFile(folder / "vocab.json", vocab.toStdString());
    std::filesystem::copy_file(tokenizerDir() / "merges.txt", folder / "merges.txt");
    try {
      Gpt2Tokenizer tokenizer(folder / "vocab.json", folder / "merges.txt");
      QFAIL("a malformed vocab.json was accepted");
    } catch (const gpupoor::InvalidCheckpoint& error) {
      const QString message = QString::fromUtf8(error.what());
      QVERIFY2(message.contains("vocab.json"), error.what());
      QVERIFY2(message.contains(expected), error.what());
    }
  }

  void vocabWithoutEndOfTextRejected() {
    const auto folder = makeFolder("no eot");
    auto vocab = nlohmann::json::parse(readFile(tokenizerDir() / "vocab.json"));
    vocab.erase("<|endoftext|>");
    writeFile(folder / "vocab.json", vocab.dump());
    std::filesystem::copy_file(tokenizerDir() / "merges.txt", folder / "merges.txt");
    try {
      Gpt2Tokenizer tokenizer(folder / "vocab.json", folder / "merges.txt");
      QFAIL("a vocab.json without <|endoftext|> was accepted");
    } catch (const gpupoor::InvalidCheckpoint& error) {
      QVERIFY2(QString::fromUtf8(error.what()).contains("<|endoftext|>"), error.what());
    }
  }
};

QTEST_GUILESS_MAIN(TestTokenizer)
#include "tst_tokenizer.moc"
