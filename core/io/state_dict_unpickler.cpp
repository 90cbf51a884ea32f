// Restricted pickle reader for torch.save state dicts. The opcodes follow
// Python's pickletools documentation. Tensors are rebuilt the way
// torch._utils._rebuild_tensor_v2(storage, storage_offset, size, stride,
// requires_grad, backward_hooks[, metadata]) does, from the persistent id
// ("storage", StorageType, key, location, numel) that torch.save writes.
#include "core/io/state_dict_unpickler.h"

#include <ATen/ATen.h>
#include <fmt/format.h>

#include <bit>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <unordered_map>

#include "core/common/errors.h"
#include "core/io/tensor_info.h"

namespace gpupoor {

namespace {

// Pickle opcodes, named as in Python's pickletools. Protocol 2 is what
// torch.save writes; FRAME, MEMOIZE, SHORT_BINUNICODE and STACK_GLOBAL come
// from protocol 4, which torch.save(pickle_protocol=4) uses.
namespace op {
constexpr std::uint8_t kMark = '(';
constexpr std::uint8_t kStop = '.';
constexpr std::uint8_t kPop = '0';
constexpr std::uint8_t kNone = 'N';
constexpr std::uint8_t kBinInt = 'J';
constexpr std::uint8_t kBinInt1 = 'K';
constexpr std::uint8_t kBinInt2 = 'M';
constexpr std::uint8_t kBinFloat = 'G';
constexpr std::uint8_t kBinString = 'T';
constexpr std::uint8_t kShortBinString = 'U';
constexpr std::uint8_t kBinUnicode = 'X';
constexpr std::uint8_t kGlobal = 'c';
constexpr std::uint8_t kBinPut = 'q';
constexpr std::uint8_t kLongBinPut = 'r';
constexpr std::uint8_t kBinGet = 'h';
constexpr std::uint8_t kLongBinGet = 'j';
constexpr std::uint8_t kEmptyTuple = ')';
constexpr std::uint8_t kTuple = 't';
constexpr std::uint8_t kEmptyList = ']';
constexpr std::uint8_t kAppend = 'a';
constexpr std::uint8_t kAppends = 'e';
constexpr std::uint8_t kEmptyDict = '}';
constexpr std::uint8_t kDict = 'd';
constexpr std::uint8_t kSetItem = 's';
constexpr std::uint8_t kSetItems = 'u';
constexpr std::uint8_t kReduce = 'R';
constexpr std::uint8_t kBuild = 'b';
constexpr std::uint8_t kBinPersId = 'Q';
constexpr std::uint8_t kProto = 0x80;
constexpr std::uint8_t kTuple1 = 0x85;
constexpr std::uint8_t kTuple2 = 0x86;
constexpr std::uint8_t kTuple3 = 0x87;
constexpr std::uint8_t kNewTrue = 0x88;
constexpr std::uint8_t kNewFalse = 0x89;
constexpr std::uint8_t kLong1 = 0x8a;
constexpr std::uint8_t kShortBinUnicode = 0x8c;
constexpr std::uint8_t kStackGlobal = 0x93;
constexpr std::uint8_t kMemoize = 0x94;
constexpr std::uint8_t kFrame = 0x95;
}  // namespace op

enum class GlobalKind { OrderedDict, RebuildTensorV2, RebuildParameter, StorageType };

struct Value;
using ValuePtr = std::shared_ptr<Value>;

struct Value {
  enum class Kind { None, Bool, Int, Float, String, Tuple, List, Dict, Tensor, Global };
  Kind kind = Kind::None;
  std::int64_t intValue = 0;  // Bool and Int
  double floatValue = 0.0;
  std::string text;
  std::vector<ValuePtr> items;                         // Tuple, List
  std::vector<std::pair<ValuePtr, ValuePtr>> entries;  // Dict, in insertion order
  at::Tensor tensor;
  GlobalKind global = GlobalKind::OrderedDict;
  at::ScalarType storageType = at::kFloat;  // for GlobalKind::StorageType
};

ValuePtr makeValue(Value::Kind kind) {
  auto value = std::make_shared<Value>();
  value->kind = kind;
  return value;
}

ValuePtr makeInt(std::int64_t number) {
  auto value = makeValue(Value::Kind::Int);
  value->intValue = number;
  return value;
}

// The storage classes torch.save names, e.g. torch.FloatStorage.
const std::map<std::string, at::ScalarType, std::less<>>& storageTypes() {
  static const std::map<std::string, at::ScalarType, std::less<>> types{
      {"FloatStorage", at::kFloat},       {"HalfStorage", at::kHalf},
      {"BFloat16Storage", at::kBFloat16}, {"DoubleStorage", at::kDouble},
      {"LongStorage", at::kLong},         {"IntStorage", at::kInt},
      {"ShortStorage", at::kShort},       {"CharStorage", at::kChar},
      {"ByteStorage", at::kByte},         {"BoolStorage", at::kBool},
  };
  return types;
}

class StateDictUnpickler {
 public:
  StateDictUnpickler(std::span<const std::byte> pickle, const StorageRecordReader& readStorage,
                     const std::string& origin)
      : m_pickle(pickle), m_readStorage(readStorage), m_origin(origin) {}

  std::vector<std::pair<std::string, at::Tensor>> run();

 private:
  [[noreturn]] void fail(const std::string& detail) const {
    throw InvalidCheckpoint(
        fmt::format("cannot read '{}': {} (at pickle byte {}). The file is "
                    "damaged or is not a plain state dict of tensors; "
                    "convert the checkpoint to safetensors.",
                    m_origin, detail, m_position));
  }

  // Reading the byte stream
  std::span<const std::byte> take(std::size_t count);
  std::uint8_t takeByte() { return static_cast<std::uint8_t>(take(1)[0]); }
  template <typename T>
  T takeLittleEndian();
  std::string takeString(std::size_t length);
  std::string takeLine();
  std::int64_t takeLong1();

  // Stack helpers
  ValuePtr pop();
  ValuePtr& top();
  std::vector<ValuePtr> popToMark();
  ValuePtr expect(ValuePtr value, Value::Kind kind, std::string_view what) const;

  // Opcode handlers
  void pushGlobal(const std::string& module, const std::string& name);
  void reduce();
  void build();
  void persistentLoad();
  at::Tensor rebuildTensor(const std::vector<ValuePtr>& args);
  void setItems(const ValuePtr& dict, const std::vector<ValuePtr>& keysAndValues);

  std::span<const std::byte> m_pickle;
  const StorageRecordReader& m_readStorage;
  std::string m_origin;
  std::size_t m_position = 0;
  std::vector<ValuePtr> m_stack;
  std::vector<std::size_t> m_marks;
  std::unordered_map<std::uint64_t, ValuePtr> m_memo;
  std::unordered_map<std::string, at::Tensor> m_storages;
};

std::span<const std::byte> StateDictUnpickler::take(std::size_t count) {
  if (count > m_pickle.size() - m_position) {
    fail(fmt::format("the pickle ends early: {} bytes needed, {} left", count,
                     m_pickle.size() - m_position));
  }
  const auto bytes = m_pickle.subspan(m_position, count);
  m_position += count;
  return bytes;
}

template <typename T>
T StateDictUnpickler::takeLittleEndian() {
  static_assert(std::endian::native == std::endian::little);
  T value{};
  std::memcpy(&value, take(sizeof(T)).data(), sizeof(T));
  return value;
}

std::string StateDictUnpickler::takeString(std::size_t length) {
  const auto bytes = take(length);
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

std::string StateDictUnpickler::takeLine() {
  std::string line;
  for (char c = static_cast<char>(takeByte()); c != '\n'; c = static_cast<char>(takeByte())) {
    line += c;
  }
  return line;
}

// LONG1: a length byte, then that many bytes of little-endian two's complement.
std::int64_t StateDictUnpickler::takeLong1() {
  const std::size_t length = takeByte();
  if (length > 8) fail("an integer wider than 64 bits");
  std::uint64_t bits = 0;
  const auto bytes = take(length);
  for (std::size_t i = 0; i < length; ++i) {
    bits |= static_cast<std::uint64_t>(bytes[i]) << (8 * i);
  }
  if (length > 0 && length < 8 && (bits >> (8 * length - 1)) != 0) {
    bits |= ~std::uint64_t{0} << (8 * length);  // sign extension
  }
  return static_cast<std::int64_t>(bits);
}

ValuePtr StateDictUnpickler::pop() {
  if (m_stack.empty() || (!m_marks.empty() && m_marks.back() == m_stack.size())) {
    fail("the pickle pops from an empty stack");
  }
  ValuePtr value = std::move(m_stack.back());
  m_stack.pop_back();
  return value;
}

ValuePtr& StateDictUnpickler::top() {
  if (m_stack.empty()) fail("the pickle reads from an empty stack");
  return m_stack.back();
}

std::vector<ValuePtr> StateDictUnpickler::popToMark() {
  if (m_marks.empty()) fail("the pickle closes a MARK it never opened");
  const std::size_t start = m_marks.back();
  m_marks.pop_back();
  std::vector<ValuePtr> values(m_stack.begin() + static_cast<std::ptrdiff_t>(start), m_stack.end());
  m_stack.resize(start);
  return values;
}

ValuePtr StateDictUnpickler::expect(ValuePtr value, Value::Kind kind, std::string_view what) const {
  if (value == nullptr || value->kind != kind) fail(fmt::format("expected {} here", what));
  return value;
}

void StateDictUnpickler::pushGlobal(const std::string& module, const std::string& name) {
  auto global = makeValue(Value::Kind::Global);
  if (module == "collections" && name == "OrderedDict") {
    global->global = GlobalKind::OrderedDict;
  } else if (module == "torch._utils" && name == "_rebuild_tensor_v2") {
    global->global = GlobalKind::RebuildTensorV2;
  } else if (module == "torch._utils" && name == "_rebuild_parameter") {
    global->global = GlobalKind::RebuildParameter;
  } else if (const auto it = storageTypes().find(name);
             module == "torch" && it != storageTypes().end()) {
    global->global = GlobalKind::StorageType;
    global->storageType = it->second;
  } else {
    fail(
        fmt::format("the pickle refers to '{}.{}', which is not allowed; only tensors, dicts "
                    "and OrderedDicts are read",
                    module, name));
  }
  m_stack.push_back(std::move(global));
}

void StateDictUnpickler::setItems(const ValuePtr& dict,
                                  const std::vector<ValuePtr>& keysAndValues) {
  expect(dict, Value::Kind::Dict, "a dict for SETITEMS");
  if (keysAndValues.size() % 2 != 0) fail("SETITEMS has an odd number of keys and values");
  for (std::size_t i = 0; i < keysAndValues.size(); i += 2) {
    dict->entries.emplace_back(keysAndValues[i], keysAndValues[i + 1]);
  }
}

at::Tensor StateDictUnpickler::rebuildTensor(const std::vector<ValuePtr>& args) {
  if (args.size() < 4) fail("_rebuild_tensor_v2 has fewer than 4 arguments");
  const at::Tensor storage = expect(args[0], Value::Kind::Tensor, "a storage")->tensor;
  const std::int64_t offset = expect(args[1], Value::Kind::Int, "a storage offset")->intValue;
  std::vector<std::int64_t> sizes;
  for (const auto& dim : expect(args[2], Value::Kind::Tuple, "a size tuple")->items) {
    sizes.push_back(expect(dim, Value::Kind::Int, "an integer size")->intValue);
  }
  std::vector<std::int64_t> strides;
  for (const auto& step : expect(args[3], Value::Kind::Tuple, "a stride tuple")->items) {
    strides.push_back(expect(step, Value::Kind::Int, "an integer stride")->intValue);
  }
  if (sizes.size() != strides.size()) fail("a tensor has different numbers of sizes and strides");

  // Bounds check: the last element the view reaches must lie in the storage.
  bool empty = false;
  std::int64_t lastIndex = offset;
  for (std::size_t i = 0; i < sizes.size(); ++i) {
    if (sizes[i] < 0 || strides[i] < 0) fail("a tensor has a negative size or stride");
    if (sizes[i] == 0) empty = true;
    if (sizes[i] > 0) lastIndex += (sizes[i] - 1) * strides[i];
  }
  if (offset < 0 || (!empty && lastIndex >= storage.numel())) {
    fail(
        fmt::format("a tensor of size {} at offset {} reaches element {} of a storage with {} "
                    "elements",
                    formatShape(sizes), offset, lastIndex, storage.numel()));
  }
  return storage.as_strided(sizes, strides, offset);
}

void StateDictUnpickler::reduce() {
  const ValuePtr args = expect(pop(), Value::Kind::Tuple, "an argument tuple for REDUCE");
  const ValuePtr callable = expect(pop(), Value::Kind::Global, "an allowed global for REDUCE");
  switch (callable->global) {
    case GlobalKind::OrderedDict: {
      auto dict = makeValue(Value::Kind::Dict);
      // OrderedDict([[key, value], ...]) from older picklers.
      if (!args->items.empty()) {
        for (const auto& pair :
             expect(args->items[0], Value::Kind::List, "a list of pairs")->items) {
          const auto& kv = pair->items;
          if (kv.size() != 2) fail("an OrderedDict item is not a key-value pair");
          dict->entries.emplace_back(kv[0], kv[1]);
        }
      }
      m_stack.push_back(std::move(dict));
      break;
    }
    case GlobalKind::RebuildTensorV2: {
      auto tensor = makeValue(Value::Kind::Tensor);
      tensor->tensor = rebuildTensor(args->items);
      m_stack.push_back(std::move(tensor));
      break;
    }
    case GlobalKind::RebuildParameter: {
      if (args->items.empty()) fail("_rebuild_parameter has no arguments");
      auto tensor = makeValue(Value::Kind::Tensor);
      tensor->tensor = expect(args->items[0], Value::Kind::Tensor, "a tensor parameter")->tensor;
      m_stack.push_back(std::move(tensor));
      break;
    }
    case GlobalKind::StorageType:
      fail("a storage type is called like a function");
  }
}

// BUILD sets instance attributes; on a state dict that is `_metadata` (the
// module versions), which the weights do not need, so it is dropped.
void StateDictUnpickler::build() {
  pop();
  const auto kind = top()->kind;
  if (kind != Value::Kind::Dict && kind != Value::Kind::Tensor) {
    fail("BUILD on something other than a dict or tensor");
  }
}

void StateDictUnpickler::persistentLoad() {
  const ValuePtr id = expect(pop(), Value::Kind::Tuple, "a persistent id tuple");
  const auto& fields = id->items;
  if (fields.size() != 5 || fields[0]->kind != Value::Kind::String ||
      fields[0]->text != "storage") {
    fail("a persistent id is not ('storage', type, key, location, numel)");
  }
  const auto type = expect(fields[1], Value::Kind::Global, "a storage type");
  if (type->global != GlobalKind::StorageType) fail("a persistent id names no storage type");
  const std::string key = expect(fields[2], Value::Kind::String, "a storage key")->text;
  const std::int64_t numel = expect(fields[4], Value::Kind::Int, "a storage size")->intValue;
  if (numel < 0) fail(fmt::format("storage '{}' has a negative size {}", key, numel));

  auto tensor = makeValue(Value::Kind::Tensor);
  if (const auto cached = m_storages.find(key); cached != m_storages.end()) {
    tensor->tensor = cached->second;
  } else {
    at::Tensor storage = at::empty({numel}, at::TensorOptions().dtype(type->storageType));
    if (numel > 0) {
      const std::vector<std::byte> bytes = m_readStorage(key);
      if (bytes.size() != static_cast<std::size_t>(storage.nbytes())) {
        fail(fmt::format("storage record 'data/{}' has {} bytes, expected {} ({} elements of {})",
                         key, bytes.size(), storage.nbytes(), numel,
                         c10::toString(type->storageType)));
      }
      std::memcpy(storage.data_ptr(), bytes.data(), bytes.size());
    }
    m_storages.emplace(key, storage);
    tensor->tensor = storage;
  }
  m_stack.push_back(std::move(tensor));
}

std::vector<std::pair<std::string, at::Tensor>> StateDictUnpickler::run() {
  bool stopped = false;
  while (!stopped) {
    const std::uint8_t code = takeByte();
    switch (code) {
      case op::kProto:
        takeByte();
        break;
      case op::kFrame:
        take(8);
        break;
      case op::kMark:
        m_marks.push_back(m_stack.size());
        break;
      case op::kStop:
        stopped = true;
        break;
      case op::kPop:
        pop();
        break;
      case op::kNone:
        m_stack.push_back(makeValue(Value::Kind::None));
        break;
      case op::kNewTrue:
      case op::kNewFalse: {
        auto value = makeValue(Value::Kind::Bool);
        value->intValue = code == op::kNewTrue ? 1 : 0;
        m_stack.push_back(std::move(value));
        break;
      }
      case op::kBinInt:
        m_stack.push_back(makeInt(takeLittleEndian<std::int32_t>()));
        break;
      case op::kBinInt1:
        m_stack.push_back(makeInt(takeByte()));
        break;
      case op::kBinInt2:
        m_stack.push_back(makeInt(takeLittleEndian<std::uint16_t>()));
        break;
      case op::kLong1:
        m_stack.push_back(makeInt(takeLong1()));
        break;
      case op::kBinFloat: {
        // Big-endian, unlike every other number in a pickle.
        std::uint64_t bits = 0;
        for (const std::byte b : take(8)) bits = (bits << 8) | static_cast<std::uint64_t>(b);
        auto value = makeValue(Value::Kind::Float);
        value->floatValue = std::bit_cast<double>(bits);
        m_stack.push_back(std::move(value));
        break;
      }
      case op::kBinUnicode:
      case op::kBinString:
      case op::kShortBinUnicode:
      case op::kShortBinString: {
        const bool shortForm = code == op::kShortBinUnicode || code == op::kShortBinString;
        const std::size_t length = shortForm ? takeByte() : takeLittleEndian<std::uint32_t>();
        auto value = makeValue(Value::Kind::String);
        value->text = takeString(length);
        m_stack.push_back(std::move(value));
        break;
      }
      case op::kGlobal: {
        const std::string module = takeLine();
        const std::string name = takeLine();
        pushGlobal(module, name);
        break;
      }
      case op::kStackGlobal: {
        const std::string name = expect(pop(), Value::Kind::String, "a global name")->text;
        const std::string module = expect(pop(), Value::Kind::String, "a module name")->text;
        pushGlobal(module, name);
        break;
      }
      case op::kBinPut:
        m_memo[takeByte()] = top();
        break;
      case op::kLongBinPut:
        m_memo[takeLittleEndian<std::uint32_t>()] = top();
        break;
      case op::kMemoize:
        m_memo[m_memo.size()] = top();
        break;
      case op::kBinGet:
      case op::kLongBinGet: {
        const std::uint64_t index =
            code == op::kBinGet ? takeByte() : takeLittleEndian<std::uint32_t>();
        const auto it = m_memo.find(index);
        if (it == m_memo.end()) {
          fail(fmt::format("memo entry {} is read before it is written", index));
        }
        m_stack.push_back(it->second);
        break;
      }
      case op::kEmptyTuple:
        m_stack.push_back(makeValue(Value::Kind::Tuple));
        break;
      case op::kTuple: {
        auto tuple = makeValue(Value::Kind::Tuple);
        tuple->items = popToMark();
        m_stack.push_back(std::move(tuple));
        break;
      }
      case op::kTuple1:
      case op::kTuple2:
      case op::kTuple3: {
        auto tuple = makeValue(Value::Kind::Tuple);
        tuple->items.resize(code - op::kTuple1 + 1);
        for (auto it = tuple->items.rbegin(); it != tuple->items.rend(); ++it) *it = pop();
        m_stack.push_back(std::move(tuple));
        break;
      }
      case op::kEmptyList:
        m_stack.push_back(makeValue(Value::Kind::List));
        break;
      case op::kAppend: {
        ValuePtr item = pop();
        expect(top(), Value::Kind::List, "a list for APPEND")->items.push_back(std::move(item));
        break;
      }
      case op::kAppends: {
        std::vector<ValuePtr> items = popToMark();
        auto list = expect(top(), Value::Kind::List, "a list for APPENDS");
        list->items.insert(list->items.end(), items.begin(), items.end());
        break;
      }
      case op::kEmptyDict:
        m_stack.push_back(makeValue(Value::Kind::Dict));
        break;
      case op::kDict: {
        auto dict = makeValue(Value::Kind::Dict);
        setItems(dict, popToMark());
        m_stack.push_back(std::move(dict));
        break;
      }
      case op::kSetItem: {
        ValuePtr value = pop();
        ValuePtr key = pop();
        setItems(top(), {std::move(key), std::move(value)});
        break;
      }
      case op::kSetItems: {
        std::vector<ValuePtr> keysAndValues = popToMark();
        setItems(top(), keysAndValues);
        break;
      }
      case op::kReduce:
        reduce();
        break;
      case op::kBuild:
        build();
        break;
      case op::kBinPersId:
        persistentLoad();
        break;
      default:
        fail(fmt::format("unsupported pickle opcode 0x{:02x}", code));
    }
  }

  // The result must be a flat dict of name -> tensor.
  if (m_stack.size() != 1)
    fail(fmt::format("{} values are left on the stack, expected 1", m_stack.size()));
  const ValuePtr root = m_stack.front();
  if (root->kind != Value::Kind::Dict) fail("the pickled object is not a dict");
  std::vector<std::pair<std::string, at::Tensor>> tensors;
  tensors.reserve(root->entries.size());
  for (const auto& [key, value] : root->entries) {
    if (key->kind != Value::Kind::String) fail("a state dict key is not a string");
    if (value->kind != Value::Kind::Tensor) {
      fail(
          fmt::format("entry '{}' is not a tensor (nested dicts such as {{\"state_dict\": ...}} "
                      "are not supported)",
                      key->text));
    }
    tensors.emplace_back(key->text, value->tensor);
  }
  return tensors;
}

}  // namespace

std::vector<std::pair<std::string, at::Tensor>> unpickleStateDict(
    std::span<const std::byte> pickle, const StorageRecordReader& readStorage,
    const std::string& origin) {
  return StateDictUnpickler(pickle, readStorage, origin).run();
}

}  // namespace gpupoor
