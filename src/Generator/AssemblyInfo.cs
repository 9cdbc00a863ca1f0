[assembly: System.Runtime.CompilerServices.InternalsVisibleTo("NetGen.Generator.Tests")]
