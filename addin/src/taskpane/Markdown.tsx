/**
 * A model's answer as Markdown, safely: react-markdown builds React elements (never
 * innerHTML), raw HTML in the text is dropped, and links keep only safe protocols
 * (react-markdown's defaultUrlTransform) and open outside the pane.
 */
import { makeStyles, tokens } from "@fluentui/react-components";
import ReactMarkdown, { defaultUrlTransform, type Components } from "react-markdown";

const useStyles = makeStyles({
  root: {
    overflowWrap: "anywhere",
    "& p": { margin: `0 0 ${tokens.spacingVerticalS}` },
    "& p:last-child": { marginBottom: 0 },
    "& ul, & ol": { margin: `0 0 ${tokens.spacingVerticalS}`, paddingLeft: "1.4em" },
    "& pre": {
      overflowX: "auto",
      padding: tokens.spacingHorizontalS,
      backgroundColor: tokens.colorNeutralBackground1,
      borderRadius: tokens.borderRadiusSmall,
    },
    "& code": { fontFamily: tokens.fontFamilyMonospace, fontSize: tokens.fontSizeBase200 },
    "& a": { color: tokens.colorBrandForegroundLink },
    "& h1, & h2, & h3, & h4": {
      fontSize: tokens.fontSizeBase400,
      margin: `${tokens.spacingVerticalS} 0`,
    },
  },
});

const components: Components = {
  a: ({ href, children }) => (
    <a href={href} target="_blank" rel="noopener noreferrer">
      {children}
    </a>
  ),
  // An answer's headings are not the page's outline.
  h1: ({ children }) => (
    <p>
      <strong>{children}</strong>
    </p>
  ),
  h2: ({ children }) => (
    <p>
      <strong>{children}</strong>
    </p>
  ),
  h3: ({ children }) => (
    <p>
      <strong>{children}</strong>
    </p>
  ),
  img: ({ alt }) => <span>{alt ? `[image: ${alt}]` : "[image]"}</span>,
};

export default function Markdown(props: { children: string }) {
  const styles = useStyles();
  return (
    <div className={styles.root} data-testid="markdown">
      <ReactMarkdown skipHtml urlTransform={defaultUrlTransform} components={components}>
        {props.children}
      </ReactMarkdown>
    </div>
  );
}
