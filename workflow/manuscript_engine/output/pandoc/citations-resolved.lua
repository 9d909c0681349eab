-- Runs after citeproc in the document tree: the citations and the reference list are
-- written, so the bibliography settings are dropped. Otherwise a writer given the tree
-- (Typst's) would set up citations of its own from them.
function Meta(meta)
  meta.bibliography = nil
  meta.csl = nil
  return meta
end
