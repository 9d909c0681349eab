-- Anchors (an empty span with an identifier, such as a checklist marker []{#strobe-12b})
-- become an invisible Typst element of their own, carrying the label: pandoc would write
-- a bare label, which relabels the element before it (a figure's own label included)
-- and keeps only the last of several in a row. The page of each anchor is then
-- Typst's own answer (manuscript_engine.output.checklist).
function Span(span)
  if #span.content == 0 and span.identifier:match("^[%a][%w_.-]*$") then
    return pandoc.RawInline("typst", "#metadata(none)<" .. span.identifier .. ">")
  end
end
