export const PAYLOAD_HELP = `
Payloads (name=value[:type]):
  name=@<json>     a JSON value: dictionary, or :jsontable / :arrowtable rows, or :text for a JSON string
  name=<file>      a file; the type comes from its extension unless :type is given
                   (.txt .md .csv … text, .json dictionary, .arrow .feather arrowtable,
                    .png .jpg … image, .wav .mp3 … audio, .mp4 .mov … video, anything else binary)
  name=<text>      text (a value that looks like a missing file is refused: add :text to send it anyway)
  types: text dictionary jsontable arrowtable image audio video binary

Examples:
  natsbridge send chat.room1 message=Hello! config=@'{"interval":60}' photo=cat.png
  natsbridge send data.in rows=rows.json:jsontable table=frame.arrow`;
