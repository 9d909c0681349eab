-- For the format-agreement check: a figure reads as its caption. Its picture's written
-- description (alt text) is not printed on the page (the PDF's text has only the
-- caption), so it is left out of every format's text alike.
function Figure(figure)
  return figure.caption.long
end
