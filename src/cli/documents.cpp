// sshm documents list | show NAME | validate FILE: the command documents sshm can run.
#include "cli/common.hpp"
#include "documents/document.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace sshm::cli {

namespace {

struct DocumentsShowOptions {
  std::string name;
};

struct DocumentsValidateOptions {
  std::vector<std::string> files;
};

int run_documents_list(const GlobalOptions& g) {
  nlohmann::ordered_json list = nlohmann::ordered_json::array();
  std::string text;
  for (const auto& name : documents::builtin_names()) {
    documents::Document doc = documents::load(name);
    list.push_back({{"Name", doc.name},
                    {"DocumentType", "Command"},
                    {"SchemaVersion", doc.schema_version},
                    {"DocumentFormat", doc.format},
                    {"Description", doc.description}});
    text += fmt::format("{:<28} {}\n", doc.name, doc.description);
  }
  // The shape of `aws ssm list-documents`.
  if (structured_output(g)) print_ordered(g, nlohmann::ordered_json{{"DocumentIdentifiers", list}});
  else SyncOut::instance().out(text);
  return k_exit_ok;
}

int run_documents_show(const GlobalOptions& g, const DocumentsShowOptions& o) {
  documents::Document doc = documents::load(o.name);
  bool want_yaml = g.output == "yaml";
  // The document as written when its format matches; converted (order kept) otherwise.
  if ((want_yaml && doc.format == "YAML") || (!want_yaml && g.output != "jsonl" && doc.format == "JSON")) {
    std::string text = doc.source_text;
    if (!text.empty() && text.back() != '\n') text += "\n";
    SyncOut::instance().out(text);
  } else if (want_yaml) {
    SyncOut::instance().out(to_yaml(nlohmann::ordered_json::parse(doc.source_text)));
  } else if (g.output == "jsonl") {
    SyncOut::instance().out(doc.content.dump() + "\n");
  } else {
    SyncOut::instance().out(doc.content.dump(2) + "\n");
  }
  return k_exit_ok;
}

int run_documents_validate(const GlobalOptions& g, const DocumentsValidateOptions& o) {
  bool any = false;
  nlohmann::ordered_json report = nlohmann::ordered_json::array();
  for (const auto& file : o.files) {
    std::vector<InputError> errors = documents::validate_file(file);
    any = any || !errors.empty();
    // SSM's DocumentType: Command, or Session for a Session Manager document.
    std::string type, session_type;
    if (errors.empty()) {
      documents::Document doc = documents::load(file);
      type = doc.document_type;
      session_type = doc.session_type;
    }
    if (structured_output(g)) {
      nlohmann::ordered_json entry = {{"File", file}, {"Valid", errors.empty()}, {"Errors", nlohmann::ordered_json::array()}};
      if (!type.empty()) entry["DocumentType"] = type;
      if (!session_type.empty()) entry["SessionType"] = session_type;
      for (const auto& e : errors)
        entry["Errors"].push_back({{"Line", e.where().line}, {"Column", e.where().column}, {"Message", e.formatted()}});
      report.push_back(entry);
      continue;
    }
    if (errors.empty()) {
      SyncOut::instance().out(type == "Session" ? fmt::format("{}: valid Session document (sessionType {}): start it "
                                                              "with `sshm session`, not `sshm run`\n",
                                                              file, session_type)
                                                : fmt::format("{}: valid\n", file));
    } else {
      std::string text;
      for (const auto& e : errors) text += e.formatted() + "\n";
      SyncOut::instance().err(text);
    }
  }
  if (structured_output(g)) print_ordered(g, report);
  return any ? k_exit_usage : k_exit_ok;
}

} // namespace

void setup_documents(CLI::App& app, GlobalOptions& global, Action& action) {
  auto* docs = app.add_subcommand("documents", "List, show and validate SSM command documents");
  docs->require_subcommand(1);
  docs->fallthrough();  // global options such as -o may follow the verb

  auto* list = docs->add_subcommand("list", "List the built-in documents");
  list->fallthrough();
  list->callback([&global, &action] { action = [&global] { return run_documents_list(global); }; });

  auto show_opts = std::make_shared<DocumentsShowOptions>();
  auto* show = docs->add_subcommand("show", "Print a document (JSON; YAML with -o yaml)");
  show->add_option("name", show_opts->name, "Built-in document name or document file")->required();
  show->fallthrough();
  show->callback([&global, &action, show_opts] {
    action = [&global, show_opts] { return run_documents_show(global, *show_opts); };
  });

  auto validate_opts = std::make_shared<DocumentsValidateOptions>();
  auto* validate = docs->add_subcommand("validate", "Check document files; print every problem as FILE:LINE:COL");
  validate->add_option("file", validate_opts->files, "Document files (JSON or YAML)")->required();
  validate->fallthrough();
  validate->callback([&global, &action, validate_opts] {
    action = [&global, validate_opts] { return run_documents_validate(global, *validate_opts); };
  });
}

} // namespace sshm::cli
