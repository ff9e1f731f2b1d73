/**
 * A form-filling batch's items: each asks for JSON by a schema of its own, 20 fields, about the
 * size a real one sends; `salt` makes every set new, so no schema is compiled already. The stall
 * guard sends 500 of them, and so does `npm run bench:burst`.
 */
export function distinctSchemaItems(salt: string, count: number): unknown[] {
  return Array.from({ length: count }, (_, item) => {
    const properties = Object.fromEntries(
      Array.from({ length: 20 }, (_, field) => [
        `${salt}_${item}_${field}`,
        field % 3 === 0
          ? { type: "string", maxLength: 50 + field }
          : field % 3 === 1
            ? { type: "integer", minimum: field, maximum: 1000 + item }
            : { type: "array", items: { enum: ["a", "b", `c${item}`] }, maxItems: 5 },
      ]),
    );
    return {
      prompt: `Fill in form ${item}`,
      cache: false,
      responseFormat: { type: "json", schema: { type: "object", properties } },
    };
  });
}
