// Loading a XEP-0227 file into an element tree, safely: libxml2 with no
// network access, no DTD loading, no entity substitution; a file with a
// DOCTYPE is refused (XEP-0227 files have none, and a DTD is how entity
// expansion attacks start). Comments and processing instructions are
// dropped; CDATA becomes text.
//
// XInclude (XEP-0227 §5; ejabberd writes a main file that includes one file
// per host): an <xi:include href='…'/> with a relative path is replaced by the
// root element of that file, read the same way, relative to the including
// file's directory; absolute paths, URLs, parse='text' and include chains
// deeper than a few levels are refused.
//
// Errors name the file and, for XML errors, the line. Pure functions; any thread.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "xmpp/element.hpp"
#include "xmpp/result.hpp"

namespace server::migration {

xmpp::Result<xmpp::Element, std::string> load_pie_file(const std::filesystem::path& file);

// The same for a document in memory; includes resolve against `base_dir`.
// `name` is used in error messages.
xmpp::Result<xmpp::Element, std::string> load_pie_document(std::string_view xml, std::string_view name,
                                                           const std::filesystem::path& base_dir);

}  // namespace server::migration
