quota exceeded
xy