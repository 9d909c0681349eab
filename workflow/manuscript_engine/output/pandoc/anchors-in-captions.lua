-- A paragraph that holds nothing but anchors (empty spans with an identifier, such as a
-- checklist marker written on a line of its own after a figure or a table) joins the
-- caption of the figure or table before it: the anchor then marks that figure or table
-- in every format (an id in its HTML caption, a bookmark in its DOCX caption, its page
-- in the PDF), and no empty paragraph is left behind (it would be a numbered line in the
-- DOCX and a blank line in the HTML).
local function anchors_only(block)
  if block.t ~= "Para" and block.t ~= "Plain" then
    return nil
  end
  local anchors = pandoc.Inlines({})
  for _, inline in ipairs(block.content) do
    if inline.t == "Span" and #inline.content == 0 and inline.identifier ~= "" then
      anchors:insert(inline)
    elseif inline.t ~= "Space" and inline.t ~= "SoftBreak" then
      return nil
    end
  end
  if #anchors == 0 then
    return nil
  end
  return anchors
end

local function add_to_caption(element, anchors)
  local caption = element.caption
  local long = caption.long
  if #long > 0 and (long[#long].t == "Plain" or long[#long].t == "Para") then
    long[#long].content:extend(anchors)
  else
    long:insert(pandoc.Plain(anchors))
  end
  caption.long = long
  element.caption = caption
end

function Blocks(blocks)
  local out = pandoc.Blocks({})
  for _, block in ipairs(blocks) do
    local previous = out[#out]
    local anchors = anchors_only(block)
    if anchors and previous and (previous.t == "Figure" or previous.t == "Table") then
      add_to_caption(previous, anchors)
    else
      out:insert(block)
    end
  end
  return out
end
