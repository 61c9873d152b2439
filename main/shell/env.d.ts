// electron-vite turns `import p from './x?modulePath'` into the path of a separately built bundle of ./x
// (used for the engine's utilityProcess entry).
declare module '*?modulePath' {
  const path: string;
  export default path;
}
