-- A picture's written description (its alt text) becomes Typst's own `alt`, which the
-- PDF carries for screen readers; pandoc's Typst writer would drop it. The caption is
-- written by pandoc as before. Quotes and backslashes are escaped for Typst's string.
local function typst_string(text)
  local escaped = text:gsub("\\", "\\\\"):gsub('"', '\\"')
  return '"' .. escaped .. '"'
end

function Image(image)
  local alt = pandoc.utils.stringify(image.caption)
  if alt == "" or image.attributes.width or image.attributes.height then
    return nil
  end
  return pandoc.RawInline(
    "typst",
    "#image(" .. typst_string(image.src) .. ", alt: " .. typst_string(alt) .. ")"
  )
end
