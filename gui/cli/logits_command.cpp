// `gpupoor logits`: runs the model (FP32, or INT8 with --int8 SCHEME) once
// over a list of token ids and writes the logits at every position to a
// safetensors file, for comparison with other implementations.

#include <QCommandLineParser>

#include <ATen/ATen.h>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <map>

#include "core/io/safetensors_writer.h"
#include "gui/cli/command.h"
#include "gui/cli/model_options.h"
#include "gui/cli/option_parsing.h"

namespace gpupoor::cli {
namespace {

int runLogits(const QStringList& args) {
  return runGuarded("logits", [&] {
    QCommandLineParser parser;
    parser.setApplicationDescription(
        "Run the model over token ids and write float32 logits [T, vocab] under the tensor name "
        "'logits' to a safetensors file.");
    addModelOptions(parser);
    addInt8Option(parser);
    parser.addOption({"ids", "Comma-separated input token ids, e.g. 464,2068,7586.", "IDS"});
    parser.addOption({"out", "Output safetensors file; replaced if it exists.", "FILE"});
    if (!parseCommandLine(parser, args, "logits")) return kExitOk;

    const std::vector<std::int64_t> ids = parseTokenIds(requiredValue(parser, "ids"), "ids");
    const std::filesystem::path out = requiredValue(parser, "out").toStdString();
    const QuantScheme scheme = int8SchemeOption(parser);
    applyThreadsOption(parser);
    const std::filesystem::path modelDir = modelDirOption(parser);
    const auto model = loadModelForCommand(modelDir, scheme);

    const at::Tensor input = at::tensor(ids, at::kLong).unsqueeze(0);
    const at::Tensor logits = model->forward(input)[0].contiguous();
    const std::map<std::string, std::string> metadata = {
        {"model", modelDir.string()},
        {"scheme", model->scheme()},
        {"input_ids", fmt::format("{}", fmt::join(ids, ","))}};
    writeSafetensors(out, {{"logits", logits}}, metadata);
    printLine(fmt::format("wrote logits [{}, {}] ({}) to {}", logits.size(0), logits.size(1),
                          model->scheme(), out.string()));
    return kExitOk;
  });
}

const CommandRegistration kRegistration(
    {"logits", "write the logits of a token id list to a safetensors file", runLogits, false});

}  // namespace
}  // namespace gpupoor::cli
